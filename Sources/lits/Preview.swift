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
            let c = try Dataset.selectCase(args.path, id: args.caseID)
            try OutputFolder.prepare(args.out, inputs: [args.path], command: "lits preview")
            var options = PreviewOptions()
            if !args.windows.isEmpty { options.windows = args.windows.map { ($0.name, $0.window) } }
            if !args.methods.isEmpty { options.methods = args.methods }
            options.slices = args.slices.indices
            options.autoSliceCount = args.autoSlices
            options.enhancement = args.enhancement.options
            options.contours = args.contours
            let loaded = try CaseLoader.load(c)
            let result = try PreviewAnalysis.compute(loaded, options: options)
            try PreviewReport.write(result, options: options, to: args.out, figures: args.figures)
            for (window, rows) in result.metrics.sorted(by: { $0.key < $1.key }) {
                for m in rows {
                    print("\(window) \(m.method): contrast \(m.liverTumorContrast.map { String(format: "%.3f", $0) } ?? "-"), slice-to-slice std \(m.sliceConsistency.map { String(format: "%.4f", $0) } ?? "-")")
                }
            }
            print("preview: \(args.out)/index.md")
        }
    }
}
