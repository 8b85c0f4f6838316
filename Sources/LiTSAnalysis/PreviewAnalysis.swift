import Foundation
import LiTSCore
import LiTSImaging
import LiTSRender

/// `lits preview`: the same slices through every window and enhancement method, side by side,
/// with the numbers that let a user choose (liver-tumor contrast, slice-to-slice consistency).
public struct PreviewOptions: Sendable {
    public var windows: [(name: String, window: HUWindow)] = [("liver", .liver)]
    public var methods: [EnhancementMethod] = EnhancementMethod.allCases
    /// Canonical axial slice indices; nil = automatic (evenly over the liver plus the most tumor).
    public var slices: [Int]?
    public var autoSliceCount = 5
    public var enhancement = EnhancementOptions()
    public var contours = true
    public var tileSide = 200

    public init() {}

    public static var presets: [(name: String, window: HUWindow)] { HUWindow.presets }
}

/// What `lits preview` shows: every window x method on the same slices, rendered, and the
/// metrics per window (for cases with labels).
public struct PreviewResult: Sendable {
    public var caseID: String
    public var hasLabels: Bool
    /// Canonical axial slice indices, in montage column order.
    public var slices: [Int]
    /// Per window (in option order): the montage, one row per method, one column per slice.
    public var montages: [(window: String, figure: MontageFigure)]
    /// Full-resolution slices, named `WINDOW-METHOD-kK`.
    public var singleSlices: [(name: String, image: RGBImage)]
    public var metrics: [String: [EnhancementMetrics]]
}

public enum PreviewAnalysis {
    /// Evenly spaced over the liver (top first), plus the slice with the most tumor.
    public static func autoSlices(_ c: LoadedCase, count: Int) -> [Int] {
        CaseMontage.tiles(for: c, axialCount: count).filter { $0.plane == .axial }.map(\.index)
    }

    /// Enhances the case with every method in every window, measures and renders the slices.
    public static func compute(_ c: LoadedCase, options: PreviewOptions) throws -> PreviewResult {
        let slices = options.slices ?? autoSlices(c, count: options.autoSliceCount)
        for k in slices where !(0..<c.ct.shape[2]).contains(k) {
            throw LiTSError(.invalidArgument, path: c.info.volumePath, "slice \(k) is outside 0..<\(c.ct.shape[2]) (canonical axial slices)")
        }
        for method in options.methods { try options.enhancement.check(method, shape: c.ct.shape, path: c.info.volumePath) }
        let body = options.methods.contains(.volumeBody) ? BodyMask.compute(c.ct) : nil
        let labels = options.contours ? c.labels : nil
        var result = PreviewResult(caseID: c.info.id, hasLabels: c.labels != nil, slices: slices, montages: [], singleSlices: [], metrics: [:])
        let columns = columnLabels(c, slices: slices, autoCount: options.slices == nil ? options.autoSliceCount : nil)
        for (name, window) in options.windows {
            var rows: [MontageTile] = []
            for method in options.methods {
                let enhanced = Enhancement.apply(method, to: c.ct, window: window, options: options.enhancement, body: body)
                if let l = c.labels { result.metrics[name, default: []].append(EnhancementMetrics.measure(method, enhanced: enhanced, labels: l)) }
                for k in slices {
                    let full = SliceRenderer.render(ct: enhanced, labels: labels, plane: .axial, index: k, window: (0, 1))
                    result.singleSlices.append(("\(name)-\(method.rawValue)-k\(k)", full))
                    rows.append(MontageTile.slice(enhanced, plane: .axial, index: k, window: (0, 1), title: false,
                                                  layers: labels.map { MontageTile.labelLayers($0, plane: .axial, index: k) } ?? []))
                }
            }
            let figure = MontageFigure(tiles: rows, columns: slices.count, tileHeight: Double(options.tileSide),
                                       rowLabels: options.methods.map(\.rawValue), columnLabels: columns,
                                       legend: MontageFigure.legend(of: rows))
            result.montages.append((name, figure))
        }
        return result
    }

    /// "axial k=45, z=112.5 mm" per slice, and "(most tumour)" on the slice chosen for it.
    static func columnLabels(_ c: LoadedCase, slices: [Int], autoCount: Int?) -> [String] {
        let reasons = autoCount.map { n in CaseMontage.tiles(for: c, axialCount: n).filter { $0.plane == .axial && $0.reason != nil } } ?? []
        return slices.map { k in
            MontageTile.label(c.ct.grid, plane: .axial, index: k) + (reasons.contains { $0.index == k } ? " (most tumour)" : "")
        }
    }
}
