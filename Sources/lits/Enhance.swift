import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCore
import LiTSImaging

struct Enhance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a contrast-enhanced volume (float32 in [0, 1], on the source file's grid and affine).")

    @OptionGroup var args: EnhanceArguments

    func run() throws {
        try runReportingErrors {
            try EnhancedVolumeFile.write(try Dataset.selectCase(args.path, id: args.caseID), from: args.path, method: args.method, window: args.window.window,
                                         options: args.enhancement.options, to: args.out, overwrite: args.overwrite,
                                         description: "LiTSKit enhance \(args.method.rawValue) \(args.window.text)")
            print("wrote \(args.out)")
        }
    }
}
