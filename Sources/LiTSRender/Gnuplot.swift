import Foundation
import LiTSCore

/// A chart as a report keeps it: `charts/NAME.dat` (the numbers), `charts/NAME.gp` (a gnuplot
/// script that plots them) and `figures/NAME.png` (pngcairo). `cd charts && gnuplot NAME.gp`
/// re-plots it with gnuplot alone.
public struct GnuplotChart: Sendable {
    public var name: String
    /// Whitespace-separated columns; lines starting with # are comments. Several data blocks are
    /// separated by two blank lines and addressed with `index N` in the plot commands.
    public var data: String
    /// Commands after the terminal and output settings: labels, styles and the `plot` line, which
    /// refers to the data as `datafile`. Every string from outside the code (a title, a name) must
    /// go in through `GnuplotChart.quote`.
    public var commands: [String]
    public var size: (width: Int, height: Int) = (900, 560)

    public init(name: String, data: String, commands: [String]) {
        self.name = name
        self.data = data
        self.commands = commands
    }

    /// `text` as a gnuplot single-quoted string literal, quotes included. Inside single quotes
    /// gnuplot takes every character literally (backslashes too) except `'`, which is doubled; a
    /// newline or carriage return would end the command, so each becomes a space (as do the other
    /// control characters, which have no business in a label).
    public static func quote(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "'": out += "''"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += " "
            case "\u{85}", "\u{2028}", "\u{2029}": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    public var script: String {
        ([
            "# \(GnuplotChart.commentSafe(name)): written by LiTSKit. Re-plot with: cd charts && gnuplot \(GnuplotChart.commentSafe(name)).gp",
            "datafile = \(GnuplotChart.quote("\(name).dat"))",
            "if (!exists('outfile')) outfile = \(GnuplotChart.quote("../figures/\(name).png"))",
            "set terminal pngcairo size \(size.width),\(size.height) font 'sans,11' noenhanced",
            "set output outfile",
            "set border lw 1.2",
            "set grid lc rgb '#dddddd'",
        ] + commands).joined(separator: "\n") + "\n"
    }

    /// A comment ends at the line's end, so only line breaks need to go.
    static func commentSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// Writes data and script into `report/charts/` and renders `report/figures/NAME.png`.
    ///
    /// gnuplot runs with `charts/` as its working directory and one argument, a hidden driver
    /// script there that sets the temporary output name and loads `NAME.gp`: no path or title ever
    /// reaches a command line or a `-e` string.
    public func render(in report: String) throws {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw LiTSError(.invalidArgument, path: report, "invalid chart name '\(name)'")
        }
        let charts = report + "/charts", figures = report + "/figures"
        for dir in [charts, figures] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try AtomicFile.write(data, to: "\(charts)/\(name).dat")
        try AtomicFile.write(script, to: "\(charts)/\(name).gp")
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temp = ".\(name).tmp-\(tag).png"
        let driver = ".\(name).render-\(tag).gp"
        try AtomicFile.write("outfile = \(GnuplotChart.quote("../figures/" + temp))\nload \(GnuplotChart.quote("\(name).gp"))\n",
                             to: "\(charts)/\(driver)")
        defer { unlink("\(charts)/\(driver)") }
        let tempPath = "\(figures)/\(temp)"
        let (status, stderr) = try GnuplotChart.runGnuplot(script: driver, in: charts)
        guard status == 0 else {
            unlink(tempPath)
            let message = stderr.split(separator: "\n").last.map(String.init) ?? "unknown error"
            throw LiTSError(.notWritable, path: "\(charts)/\(name).gp", "gnuplot failed: \(message)")
        }
        guard rename(tempPath, "\(figures)/\(name).png") == 0 else {
            unlink(tempPath)
            throw LiTSError(.notWritable, path: "\(figures)/\(name).png", "cannot move the chart into place")
        }
    }

    /// Runs `gnuplot SCRIPT` in `directory` (no shell); returns the exit status and the end of stderr.
    static func runGnuplot(script: String, in directory: String) throws -> (Int32, String) {
        guard let executable = findExecutable("gnuplot") else {
            throw LiTSError(.notFound, path: "gnuplot", "gnuplot is not installed or not on the PATH (install gnuplot-nox)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = [script]
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        do { try p.run() } catch {
            throw LiTSError(.notWritable, path: directory, "cannot start gnuplot (\(error.localizedDescription))")
        }
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data.suffix(16384), as: UTF8.self))
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
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
