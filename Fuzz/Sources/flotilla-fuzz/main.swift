// libFuzzer entry point; built only by scripts/fuzz.sh (FLOTILLA_FUZZ=1, -sanitize=fuzzer,address), which
// names the input format in FLOTILLA_FUZZ_TARGET. SwiftPM links its own main() for an executable, so libFuzzer's
// main is never used: this one hands the command line to libFuzzer's driver (all of libFuzzer's flags work).
import FuzzHarness
import Glibc

/// The format chosen by FLOTILLA_FUZZ_TARGET, read once.
let selected: FuzzTarget = {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")
    guard let raw = getenv("FLOTILLA_FUZZ_TARGET") else {
        fail("set FLOTILLA_FUZZ_TARGET to one of: \(names)")
    }
    guard let target = FuzzTarget(rawValue: String(cString: raw)) else {
        fail("unknown FLOTILLA_FUZZ_TARGET '\(String(cString: raw))'; one of: \(names)")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func flotillaFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

private func fail(_ message: String) -> Never {
    let line = Array("flotilla-fuzz: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// libFuzzer's documented entry for programs with their own main() (compiler-rt FuzzerInterface.h).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

_ = selected
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in flotillaFuzzOneInput(data, size) })
