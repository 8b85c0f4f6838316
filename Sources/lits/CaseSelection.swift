import ArgumentParser
import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSImaging

/// Picks one case from a path (a volume file, or a dataset folder with --case ID).
func selectCase(_ path: String, id: String?) throws -> Case {
    let cases = try Dataset.discover(path)
    if let id {
        guard let c = cases.first(where: { $0.id == id }) else {
            throw LiTSError(.notFound, path: path, "no case \(id) (cases: \(cases.prefix(10).map(\.id).joined(separator: ", "))\(cases.count > 10 ? ", ..." : ""))")
        }
        return c
    }
    guard cases.count == 1 else {
        throw LiTSError(.invalidArgument, path: path, "holds \(cases.count) cases; choose one with --case ID")
    }
    return cases[0]
}

/// Window presets by name, or "L,H".
func parseWindow(_ text: String) -> (name: String, window: HUWindow)? {
    if let preset = PreviewOptions.presets.first(where: { $0.name == text }) { return preset }
    guard let w = HUWindow(parsing: text) else { return nil }
    return ("\(Int(w.low))_\(Int(w.high))", w)
}

/// "R" or "RxC" as a CLAHE kernel size in pixels.
func parseKernel(_ text: String) -> [Int]? {
    let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
    guard parts.allSatisfy({ $0 > 0 }), parts.count == text.lowercased().split(separator: "x").count else { return nil }
    switch parts.count {
    case 1: return [parts[0], parts[0]]
    case 2: return parts
    default: return nil
    }
}

/// Options shared by the commands that enhance contrast.
struct EnhancementArguments: ParsableArguments {
    @Option(help: "Bins of the histogram equalizations (the baseline used 32).")
    var bins = 256

    @Option(help: "CLAHE kernel size in pixels, R or RxC (default: 1/8 of the slice, as scikit-image).")
    var claheKernel: String?

    @Option(help: "CLAHE clip limit (scikit-image's clip_limit).")
    var claheClip = 0.01

    @Option(help: "CLAHE histogram bins.")
    var claheBins = 256

    func validate() throws {
        guard bins >= 2 else { throw ValidationError("--bins must be at least 2") }
        guard claheBins >= 2 else { throw ValidationError("--clahe-bins must be at least 2") }
        guard claheClip > 0, claheClip <= 1 else { throw ValidationError("--clahe-clip must be in (0, 1]") }
        if let claheKernel { guard parseKernel(claheKernel) != nil else { throw ValidationError("--clahe-kernel must be R or RxC with positive integers") } }
    }

    var options: EnhancementOptions {
        var o = EnhancementOptions()
        o.bins = bins
        o.claheKernel = claheKernel.flatMap(parseKernel)
        o.claheClipLimit = claheClip
        o.claheBins = claheBins
        return o
    }
}
