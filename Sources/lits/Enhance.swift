import ArgumentParser
import LiTSCommandLine
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

    @Option(help: "Enhancement method.")
    var method: EnhancementMethod

    @Option(parsing: .unconditional, help: "Window preset (liver, abdomen, soft-tissue, bone) or L,H (L < H, each within +-100000).")
    var window = WindowArgument(argument: "liver")!

    @OptionGroup var enhancement: EnhancementArguments

    @Option(name: .shortAndLong, help: "Output file, .nii or .nii.gz (an existing file is not replaced without --overwrite).")
    var out: String

    @Flag(help: "Replace an existing output file (never an input).")
    var overwrite = false

    func validate() throws {
        guard out.hasSuffix(".nii") || out.hasSuffix(".nii.gz") else { throw ValidationError("--out must end in .nii or .nii.gz") }
    }

    func run() throws {
        try runReportingErrors {
            try EnhancedVolumeFile.write(try Dataset.selectCase(path, id: caseID), from: path, method: method, window: window.window,
                                         options: enhancement.options, to: out, overwrite: overwrite,
                                         description: "LiTSKit enhance \(method.rawValue) \(window.text)")
            print("wrote \(out)")
        }
    }
}
