import Foundation

/// Comma-separated values with a header row; fields holding commas or quotes are quoted.
struct CSV {
    var lines: [String]

    init(header: [String]) {
        lines = [CSV.row(header)]
    }

    mutating func add(_ fields: [String]) {
        lines.append(CSV.row(fields))
    }

    var text: String { lines.joined(separator: "\n") + "\n" }

    static func row(_ fields: [String]) -> String {
        fields.map { f in
            f.contains(",") || f.contains("\"") || f.contains("\n") ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",")
    }

    /// Numbers with enough digits to be useful and stable across runs; empty for missing values.
    static func number(_ x: Double?, _ digits: Int = 4) -> String {
        guard let x, x.isFinite else { return "" }
        if x == x.rounded() && abs(x) < 1e12 { return String(Int(x)) }
        return String(format: "%.\(digits)f", x)
    }
}
