import Foundation
import LiTSCore
import Subprocess

/// A chart as a report keeps it: `charts/NAME.dat` (the numbers), `charts/NAME.gp` (a gnuplot
/// script that plots them) and `figures/NAME.png` (pngcairo). `cd charts && gnuplot NAME.gp`
/// re-plots it with gnuplot alone.
public struct GnuplotChart: Sendable {
    public var name: String
    /// Whitespace-separated columns; lines starting with # are comments. Several data blocks are
    /// separated by two blank lines and addressed with `index N` in the plot commands.
    public var data: String
    /// Commands after the terminal and output settings: labels, styles and the `plot` line, which
    /// refers to the data as `datafile`.
    public var commands: [String]
    public var size: (width: Int, height: Int) = (900, 560)

    public init(name: String, data: String, commands: [String]) {
        self.name = name
        self.data = data
        self.commands = commands
    }

    public var script: String {
        ([
            "# \(name): written by LiTSKit. Re-plot with: cd charts && gnuplot \(name).gp",
            "datafile = '\(name).dat'",
            "if (!exists('outfile')) outfile = '../figures/\(name).png'",
            "set terminal pngcairo size \(size.width),\(size.height) font 'sans,11' noenhanced",
            "set output outfile",
            "set border lw 1.2",
            "set grid lc rgb '#dddddd'",
        ] + commands).joined(separator: "\n") + "\n"
    }

    /// Writes data and script into `report/charts/` and renders `report/figures/NAME.png`.
    public func render(in report: String) async throws {
        let charts = report + "/charts", figures = report + "/figures"
        for dir in [charts, figures] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try AtomicFile.write(data, to: "\(charts)/\(name).dat")
        try AtomicFile.write(script, to: "\(charts)/\(name).gp")
        let temp = "../figures/.\(name).tmp-\(getpid()).png"
        // gnuplot's own `cd` puts it in charts/, where the script's relative paths point.
        let chartsDir = URL(fileURLWithPath: charts).standardizedFileURL.path
        let result = try await Subprocess.run(
            .name("gnuplot"),
            arguments: ["-e", "cd '\(chartsDir)'; outfile='\(temp)'", "\(chartsDir)/\(name).gp"],
            output: .discarded, error: .string(limit: 16384))
        let tempPath = "\(charts)/\(temp)"
        guard case .exited(0) = result.terminationStatus else {
            unlink(tempPath)
            let message = (result.standardError ?? "").split(separator: "\n").last.map(String.init) ?? "unknown error"
            throw LiTSError(.notWritable, path: "\(charts)/\(name).gp", "gnuplot failed: \(message)")
        }
        guard rename(tempPath, "\(figures)/\(name).png") == 0 else {
            throw LiTSError(.notWritable, path: "\(figures)/\(name).png", "cannot move the chart into place")
        }
    }

    /// Formats rows of numbers as a data block with a header comment.
    public static func table(_ header: [String], _ rows: [[Double]]) -> String {
        "# " + header.joined(separator: " ") + "\n"
            + rows.map { $0.map { format($0) }.joined(separator: " ") }.joined(separator: "\n") + "\n"
    }

    static func format(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
        return String(format: "%.6g", x)
    }
}
