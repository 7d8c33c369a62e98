import FlotillaCLI

await Flotilla.asyncMain()
