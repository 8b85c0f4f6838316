import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSImaging
import LiTSRender

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview windows and contrast enhancement (per-slice and per-volume equalization, CLAHE) on slices.",
        discussion: CommandHelp.preview)

    @OptionGroup var args: PreviewArguments

    func run() throws {
        try runReportingErrors {
            var options = PreviewOptions()
            if !args.windows.isEmpty { options.windows = args.windows.map { ($0.name, $0.window) } }
            if !args.methods.isEmpty { options.methods = args.methods }
            options.slices = args.slices.indices
            options.autoSliceCount = args.autoSlices
            options.enhancement = args.enhancement.options
            options.contours = args.contours
            let lines = try PreviewRun.run(args.path, caseID: args.caseID, out: args.out, options: options, figures: args.figures)
            lines.forEach { print($0) }
            print("preview: \(args.out)/index.md")
        }
    }
}
