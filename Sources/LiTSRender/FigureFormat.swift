import Foundation

/// The file format of a report's figures (`--figures png|svg|pdf`): gnuplot's terminals for
/// charts, Cairo's surfaces for montages. PNG stays the default; SVG and PDF are vector output a
/// paper can use as it is.
public enum FigureFormat: String, CaseIterable, Codable, Sendable {
    case png, svg, pdf

    /// The file extension, without the dot.
    public var fileExtension: String { rawValue }

    /// `figures/NAME.EXT`, the path of a figure inside a report folder.
    public func figurePath(_ name: String) -> String { "figures/\(name).\(fileExtension)" }
}
