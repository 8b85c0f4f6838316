import ArgumentParser
import Foundation
import LiTSCore
import LiTSImaging

struct Enhance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a contrast-enhanced volume (float32 in [0, 1], on the source file's grid and affine).")

    @Argument(help: "A volume file, or a dataset folder (with --case when it holds several cases).")
    var path: String

    @Option(name: .customLong("case"), help: "Case id inside a dataset folder.")
    var caseID: String?

    @Option(help: "window, slice, volume, volume-body or clahe.")
    var method: String

    @Option(parsing: .unconditional, help: "Window preset (liver, abdomen, soft-tissue, bone) or L,H.")
    var window = "liver"

    @OptionGroup var enhancement: EnhancementArguments

    @Option(name: .shortAndLong, help: "Output file, .nii or .nii.gz (an existing file is not replaced without --overwrite).")
    var out: String

    @Flag(help: "Replace an existing output file (never an input).")
    var overwrite = false

    func validate() throws {
        guard EnhancementMethod(rawValue: method) != nil else {
            throw ValidationError("--method must be one of \(EnhancementMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard parseWindow(window) != nil else { throw ValidationError("unknown window '\(window)'") }
        guard out.hasSuffix(".nii") || out.hasSuffix(".nii.gz") else { throw ValidationError("--out must end in .nii or .nii.gz") }
    }

    func run() throws {
        try runReportingErrors {
            let c = try selectCase(path, id: caseID)
            let outPath = OutputFolder.resolved(out)
            for input in [c.volumePath, c.segmentationPath].compactMap({ $0 }) where OutputFolder.resolved(input) == outPath {
                throw LiTSError(.invalidArgument, path: out, "is an input file; choose another output")
            }
            if FileManager.default.fileExists(atPath: out) && !overwrite {
                throw LiTSError(.notWritable, path: out, "exists; pass --overwrite to replace it")
            }
            let loaded = try CaseLoader.load(c, withLabels: false)
            let enhanced = Enhancement.apply(EnhancementMethod(rawValue: method)!, to: loaded.ct,
                                             window: parseWindow(window)!.window, options: enhancement.options)
            let onSource = loaded.reorientation.toSource(enhanced, sourceGrid: loaded.source.grid)
            try NIfTIWriter.write(onSource, to: out, description: "LiTSKit enhance \(method) \(window)")
            print("wrote \(out)")
        }
    }
}
