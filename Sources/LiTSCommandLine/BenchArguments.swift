import ArgumentParser
import LiTSBench

/// The options every `lits bench` measurement takes.
public struct BenchSettingsArguments: ParsableArguments {
    public init() {}

    @Option(name: .customLong("repeat"), help: "Timed repeats (after one warm-up).")
    public var repeats = 5

    @Option(help: "Worker threads (each calls single-threaded OpenBLAS).")
    public var threads = 2

    public func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    public var settings: EngineBench.Settings { EngineBench.Settings(repeats: repeats, threads: threads) }
}
