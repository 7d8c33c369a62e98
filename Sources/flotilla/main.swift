import FlotillaCLI

// An async root command needs the async entry point: run it in a task and wait for it.
let task = Task { await Flotilla.main(nil) }
await task.value
