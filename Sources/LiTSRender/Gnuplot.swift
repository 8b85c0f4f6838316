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

    /// The script for PNG output (what `figures/NAME.png` is drawn with).
    public var script: String { script(for: .png) }

    /// The script that draws `figures/NAME.EXT` in `format`: pngcairo, svg or pdfcairo (all in
    /// Debian's gnuplot-nox). A PDF page is the PNG's size at 100 pixels per inch.
    public func script(for format: FigureFormat) -> String {
        ([
            "# \(GnuplotChart.commentSafe(name)): written by LiTSKit. Re-plot with: cd charts && gnuplot \(GnuplotChart.commentSafe(name)).gp",
            "datafile = \(GnuplotChart.quote("\(name).dat"))",
            "if (!exists('outfile')) outfile = \(GnuplotChart.quote("../" + format.figurePath(name)))",
            GnuplotChart.terminal(format, size),
            "set output outfile",
            "set border lw 1.2",
            "set grid lc rgb '#dddddd'",
        ] + commands).joined(separator: "\n") + "\n"
    }

    static func terminal(_ format: FigureFormat, _ size: (width: Int, height: Int)) -> String {
        switch format {
        case .png: return "set terminal pngcairo size \(size.width),\(size.height) font 'sans,11' noenhanced"
        case .svg: return "set terminal svg size \(size.width),\(size.height) font 'sans,11' noenhanced background rgb 'white'"
        case .pdf: return "set terminal pdfcairo size \(Double(size.width) / 100)in,\(Double(size.height) / 100)in font 'sans,8' noenhanced"
        }
    }

    /// A comment ends at the line's end, so only line breaks need to go.
    static func commentSafe(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// Writes data and script into `report/charts/` and renders `report/figures/NAME.EXT`; the
    /// same chart in another format, from an earlier run, is removed (one figure per chart).
    ///
    /// gnuplot runs with `charts/` as its working directory and one argument, a hidden driver
    /// script there that sets the temporary output name and loads `NAME.gp`: no path or title ever
    /// reaches a command line or a `-e` string.
    public func render(in report: String, format: FigureFormat = .png) throws {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
            throw LiTSError(.invalidArgument, path: report, "invalid chart name '\(name)'")
        }
        let charts = report + "/charts", figures = report + "/figures"
        for dir in [charts, figures] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try AtomicFile.write(data, to: "\(charts)/\(name).dat")
        try AtomicFile.write(script(for: format), to: "\(charts)/\(name).gp")
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temp = ".\(name).tmp-\(tag).\(format.fileExtension)"
        let driver = ".\(name).render-\(tag).gp"
        try AtomicFile.write("outfile = \(GnuplotChart.quote("../figures/" + temp))\nload \(GnuplotChart.quote("\(name).gp"))\n",
                             to: "\(charts)/\(driver)")
        defer { unlink("\(charts)/\(driver)") }
        let tempPath = "\(figures)/\(temp)"
        let (status, stderr) = try GnuplotChart.runGnuplot(script: driver, in: charts)
        guard status == 0 else {
            unlink(tempPath)
            let message = stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(status) (no message; a crash)"
            throw LiTSError(.notWritable, path: "\(charts)/\(name).gp", "gnuplot failed: \(message)")
        }
        let final = "\(report)/\(format.figurePath(name))"
        do {
            try GnuplotChart.checkComplete(tempPath, format: format, naming: final)
            try AtomicFile.sync(tempPath, naming: final)
        } catch {
            unlink(tempPath)
            throw error
        }
        guard rename(tempPath, final) == 0 else {
            unlink(tempPath)
            throw LiTSError(.notWritable, path: final, "cannot move the chart into place")
        }
        for other in FigureFormat.allCases where other != format { unlink("\(report)/\(other.figurePath(name))") }
    }

    /// gnuplot exits 0 when its terminal could not write the whole figure (on a full disk it leaves
    /// a truncated PNG): the file must end as its format ends (PNG's IEND chunk, `</svg>`, `%%EOF`).
    static func checkComplete(_ path: String, format: FigureFormat, naming final: String) throws {
        let tail: Data = {
            guard let h = FileHandle(forReadingAtPath: path) else { return Data() }
            defer { try? h.close() }
            let size = (try? h.seekToEnd()) ?? 0
            try? h.seek(toOffset: size > 64 ? size - 64 : 0)
            return (try? h.readToEnd()) ?? Data()
        }()
        let end: [UInt8]
        switch format {
        case .png: end = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        case .svg: end = Array("</svg>".utf8)
        case .pdf: end = Array("%%EOF".utf8)
        }
        let trimmed = [UInt8](tail).reversed().drop { $0 == 0x0A || $0 == 0x0D || $0 == 0x20 }.reversed()
        if Array(trimmed).suffix(end.count) == end[...] { return }
        var st = statvfs()
        let full = statvfs((path as NSString).deletingLastPathComponent, &st) == 0 && st.f_bavail == 0
        throw full ? LiTSError.writeFailed(final, "gnuplot could not write the whole chart", errno: ENOSPC)
                   : LiTSError(.notWritable, path: final, "gnuplot wrote an incomplete chart")
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

    public static func format(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
        return String(format: "%.6g", x)
    }

    // MARK: Panels that cannot mislead

    /// Beyond this many cases a chart shows the distribution (histogram, strip) instead of one
    /// bar or label per case: 131 LiTS bars are unreadable.
    public static let maxBarsPerCase = 30

    /// A panel with nothing to plot: its frame, its title and "no data: REASON" in the middle.
    /// gnuplot refuses a plot whose points are all undefined, so the panel plots nothing at all.
    public static func noDataPanel(title: String, reason: String) -> [String] {
        ["set title " + quote(title), "set xrange [0:1]", "set yrange [0:1]", "unset xtics", "unset ytics", "unset key",
         "set label 90 " + quote("no data: " + reason) + " at graph 0.5, graph 0.5 center font ',14' tc rgb '#555555'",
         "plot NaN notitle",
         "unset label 90", "set xtics", "set ytics", "set autoscale x", "set autoscale y"]
    }

    /// A whole chart that is one `noDataPanel`, written like any other so the report has it.
    public static func noData(name: String, title: String, reason: String) -> GnuplotChart {
        GnuplotChart(name: name, data: "# no data: \(commentSafe(reason))\n", commands: noDataPanel(title: title, reason: reason))
    }

    /// A label for a bar panel whose bars are all zero (empty bars look like a failed plot);
    /// nothing when some bar is not zero. Set before the `plot`; `unset label 91` after it.
    public static func allZeroLabel(_ values: [Double?]) -> [String] {
        let known = values.compactMap { $0 }.filter(\.isFinite)
        guard !known.isEmpty, known.allSatisfy({ $0 == 0 }) else { return [] }
        return ["set yrange [0:1]",
                "set label 91 'all zero' at graph 0.5, graph 0.6 center font ',14' tc rgb '#555555'"]
    }

    /// Integer ticks on `axis` from 1 to `count` (epochs, cases): at most about 12 of them, so a
    /// long run gets every 5th or 10th instead of gnuplot's 1.5, 2.5.
    public static func integerTicks(axis: String = "x", upTo count: Int) -> [String] {
        let n = max(count, 1)
        let step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000].first { n / $0 <= 12 } ?? max(1, n / 10)
        return ["set \(axis)range [0.5:\(Double(n) + 0.5)]", "set \(axis)tics \(step)", "set m\(axis)tics 1", "set format \(axis) '%.0f'"]
    }

    /// A histogram of `values` (undefined ones left out) in `bins` equal bins over `range`: rows
    /// `centre count`, one per bin, for `with boxes` and count labels.
    public static func histogram(_ values: [Double], range: ClosedRange<Double>, bins: Int) -> [(centre: Double, count: Int)] {
        let width = (range.upperBound - range.lowerBound) / Double(bins)
        var counts = [Int](repeating: 0, count: bins)
        for v in values where v.isFinite {
            let b = Int(((v - range.lowerBound) / width).rounded(.down))
            counts[min(max(b, 0), bins - 1)] += 1
        }
        return counts.enumerated().map { (range.lowerBound + (Double($0.offset) + 0.5) * width, $0.element) }
    }
}
