import ArgumentParser
import Foundation
import LiTSCore
import LiTSImaging

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Window, resample and normalise cases into volN.npy / maskN.npy plus manifest.json.",
        discussion: """
        Arrays are float32 (CT, [0, 1]) and uint8 (labels 0/1/2), C order with shape (nz, ny, nx) in \
        canonical RAS+ orientation. manifest.json records each case's source files, original grid \
        and affine and the new grid, so predictions can be mapped back onto the original files.
        """)

    @Argument(help: "Dataset folder(s) or volume files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    var out: String

    @Option(parsing: .unconditional, help: "HU window L,H to clip to before normalising (e.g. -100,400).")
    var window = "-100,400"

    @Option(help: "In-plane size after resampling, NX or NXxNY.")
    var size = "168"

    @Option(help: "Slice spacing in mm after resampling.")
    var sliceSpacing = 2.0

    @Option(help: "CT interpolation: linear or cubic (labels always use nearest neighbour).")
    var interpolation = "linear"

    @Option(help: "Contrast enhancement before resampling: none, slice, volume, volume-body or clahe.")
    var equalize = "none"

    @OptionGroup var enhancement: EnhancementArguments

    @Option(help: "Cases processed in parallel.")
    var threads = 2

    func validate() throws {
        guard HUWindow(parsing: window) != nil else { throw ValidationError("--window must be L,H with L < H, e.g. -100,400") }
        guard Preprocess.parseSize(size) != nil else { throw ValidationError("--size must be N or NXxNY with positive integers") }
        guard sliceSpacing > 0, sliceSpacing.isFinite else { throw ValidationError("--slice-spacing must be positive") }
        guard let i = Interpolation(rawValue: interpolation), i != .nearest else {
            throw ValidationError("--interpolation must be linear or cubic")
        }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard equalize == "none" || (EnhancementMethod(rawValue: equalize).map { $0 != .window } ?? false) else {
            throw ValidationError("--equalize must be none, slice, volume, volume-body or clahe")
        }
    }

    static func parseSize(_ text: String) -> [Int]? {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard (parts.count == 1 || parts.count == 2), parts.allSatisfy({ $0 > 0 }),
              parts.count == text.lowercased().split(separator: "x").count else { return nil }
        return parts.count == 1 ? [parts[0], parts[0]] : parts
    }

    func run() throws {
        try runReportingErrors {
            var options = PreprocessOptions()
            options.window = HUWindow(parsing: window)!
            options.inPlaneSize = Preprocess.parseSize(size)!
            options.sliceSpacing = sliceSpacing
            options.interpolation = Interpolation(rawValue: interpolation)!
            if equalize != "none" {
                options.equalize = EnhancementMethod(rawValue: equalize)
                options.enhancement = enhancement.options
            }

            let cases = try Dataset.discover(data)
            try OutputFolder.prepare(out, inputs: data, marker: PreprocessManifest.fileName)
            let (written, failures) = try preprocessCases(cases, options: options, into: out, threads: threads)
            if written > 0 { print("preprocessed \(written) of \(cases.count) cases into \(out)") }
            try reportFailures(failures, total: cases.count)
        }
    }
}

/// Preprocesses cases in parallel into `dir` (volN.npy, maskN.npy) and writes `manifest.json`
/// when at least one case succeeded. Shared by `lits preprocess` and `lits train` on raw data.
func preprocessCases(_ cases: [Case], options: PreprocessOptions, into dir: String,
                     threads: Int) throws -> (written: Int, failures: [(Case, String)]) {
    let (ok, failures) = runCases(cases, threads: threads, label: "preprocess") { c in
        let (ct, labels, entry) = Preprocessor.run(try CaseLoader.load(c), options: options)
        try NPY.write(ct, to: "\(dir)/\(entry.volumeFile)")
        if let labels, let maskFile = entry.maskFile { try NPY.write(labels, to: "\(dir)/\(maskFile)") }
        return entry
    }
    if !ok.isEmpty {
        let manifest = PreprocessManifest(options: options, cases: ok.map(\.1),
                                          failed: Dictionary(uniqueKeysWithValues: failures.map { ($0.0.id, $0.1) }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(manifest), to: "\(dir)/\(PreprocessManifest.fileName)")
    }
    return (ok.count, failures)
}
