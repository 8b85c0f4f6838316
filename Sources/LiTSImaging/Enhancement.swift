import Foundation
import LiTSCore

/// The contrast enhancements a user can preview, measure and train on. Every method starts from
/// the same window (HU clipped and scaled to [0, 1]) and returns values in [0, 1].
public enum EnhancementMethod: String, Codable, Sendable, CaseIterable {
    /// Window only: the baseline's input.
    case window
    /// Histogram equalization of each axial slice with its own histogram (what the baseline's
    /// author found makes liver and tumor easy to tell apart).
    case slice
    /// One histogram over the whole volume: the air around the patient dominates it.
    case volume
    /// One histogram over the body only (see `BodyMask`), so the air no longer dominates.
    case volumeBody = "volume-body"
    /// Contrast-limited adaptive histogram equalization of each axial slice (scikit-image's meaning).
    case clahe

    public var explanation: String {
        switch self {
        case .window: return "window only: HU clipped to the window and scaled to [0, 1]"
        case .slice: return "histogram equalization of each axial slice with its own histogram"
        case .volume: return "histogram equalization with one histogram over the whole volume (air included)"
        case .volumeBody: return "histogram equalization with one histogram over the body only (air around the patient excluded)"
        case .clahe: return "CLAHE on each axial slice (scikit-image's equalize_adapthist)"
        }
    }
}

public struct EnhancementOptions: Codable, Equatable, Sendable {
    /// Bins of the histogram equalizations (scikit-image's default 256; the baseline used 32).
    public var bins = 256
    /// CLAHE kernel size in pixels (rows, cols); nil = scikit-image's default, 1/8 of the slice.
    public var claheKernel: [Int]?
    public var claheClipLimit = 0.01
    public var claheBins = 256

    public init() {}
}

extension EnhancementOptions {
    /// Most bins of the histogram equalizations: far more than the distinct values a window holds
    /// (its HU are integers in most scans), and the histogram stays small.
    public static let maxBins = 65536
    /// Most CLAHE bins: scikit-image quantises to 14 bits, so more bins would stay empty.
    public static let maxClaheBins = CLAHE.grayLevels
    /// Most memory for one slice's CLAHE tile mappings (tiles x bins doubles); slices run in parallel.
    public static let maxClaheMapBytes = 256 << 20

    /// Refuses options a volume of `shape` (canonical i, j, k) cannot use, before any work: too many
    /// bins, a CLAHE kernel larger than the axial slice (it loops over the kernel's area, and a
    /// kernel of 100000 never ends), or CLAHE tiles so small that their mappings exhaust memory.
    public func check(_ method: EnhancementMethod, shape: [Int], path: String) throws {
        switch method {
        case .window: return
        case .slice, .volume, .volumeBody:
            guard bins <= EnhancementOptions.maxBins else {
                throw LiTSError(.invalidArgument, path: path, "--bins \(bins) is more than the limit of \(EnhancementOptions.maxBins)")
            }
        case .clahe:
            guard claheBins <= EnhancementOptions.maxClaheBins else {
                throw LiTSError(.invalidArgument, path: path, "--clahe-bins \(claheBins) is more than CLAHE's \(EnhancementOptions.maxClaheBins) grey levels")
            }
            let (rows, cols) = (shape[1], shape[0])
            guard let k = claheKernel else { return }
            guard k[0] <= rows, k[1] <= cols else {
                throw LiTSError(.invalidArgument, path: path, "--clahe-kernel \(k[0])x\(k[1]) is larger than this volume's axial slice (\(rows) rows x \(cols) columns): use at most \(rows)x\(cols)")
            }
            let tiles = ((rows + k[0] - 1) / k[0]) * ((cols + k[1] - 1) / k[1])
            guard tiles * claheBins * 8 <= EnhancementOptions.maxClaheMapBytes else {
                throw LiTSError(.invalidArgument, path: path, "--clahe-kernel \(k[0])x\(k[1]) with --clahe-bins \(claheBins) makes \(tiles) tiles per slice of \(rows)x\(cols), whose mappings need \((tiles * claheBins * 8) >> 20) MB, over the limit of \(EnhancementOptions.maxClaheMapBytes >> 20) MB: use a larger kernel or fewer bins")
            }
            // Slices run in parallel, one per core.
            let parallel = min(shape[2], ProcessInfo.processInfo.activeProcessorCount)
            try MemoryBudget.check(Double(tiles * claheBins * 8 * parallel), for: "CLAHE with --clahe-kernel \(k[0])x\(k[1]) on \(parallel) slices at once",
                                   path: path, advice: "use a larger kernel or fewer --clahe-bins")
        }
    }
}

public enum Enhancement {
    /// The enhanced canonical volume. `body` is computed when the method needs it and none is given.
    public static func apply(_ method: EnhancementMethod, to ct: Volume<Float>, window: HUWindow,
                             options: EnhancementOptions = EnhancementOptions(), body: [Bool]? = nil) -> Volume<Float> {
        switch method {
        case .window:
            let scale = 1 / (window.high - window.low)
            return ct.clipped(to: window).map { ($0 - window.low) * scale }
        case .slice:
            return HistogramEqualization.perSlice(ct, window: window, bins: options.bins)
        case .volume:
            return HistogramEqualization.wholeVolume(ct, window: window, bins: options.bins)
        case .volumeBody:
            return HistogramEqualization.wholeVolume(ct, window: window, bins: options.bins, mask: body ?? BodyMask.compute(ct))
        case .clahe:
            let kernel = options.claheKernel.map { (rows: $0[0], cols: $0[1]) }
            return CLAHE.perSlice(ct, window: window, kernelSize: kernel, clipLimit: options.claheClipLimit, bins: options.claheBins)
        }
    }
}

/// How well a method separates liver from tumor and how evenly it treats neighbouring slices.
public struct EnhancementMetrics: Codable, Equatable, Sendable {
    public var method: String
    /// |mean(liver) - mean(tumor)| / pooled std, over all voxels (liver = label 1, tumor = label 2).
    public var liverTumorContrast: Double?
    /// Standard deviation across axial slices of the mean liver intensity (slices holding liver).
    public var sliceConsistency: Double?
    public var liverMean: Double?
    public var tumorMean: Double?

    public static func measure(_ method: EnhancementMethod, enhanced v: Volume<Float>, labels: LabelMap) -> EnhancementMetrics {
        var ln = 0.0, ls = 0.0, ls2 = 0.0, tn = 0.0, ts = 0.0, ts2 = 0.0
        let plane = v.shape[0] * v.shape[1]
        var sliceMeans: [Double] = []
        v.voxels.withUnsafeBufferPointer { x in
            labels.voxels.withUnsafeBufferPointer { l in
                for k in 0..<v.shape[2] {
                    var sn = 0.0, ss = 0.0
                    for p in (k * plane)..<((k + 1) * plane) {
                        let value = Double(x[p])
                        if l[p] == 1 { ln += 1; ls += value; ls2 += value * value; sn += 1; ss += value }
                        else if l[p] == 2 { tn += 1; ts += value; ts2 += value * value }
                    }
                    if sn > 0 { sliceMeans.append(ss / sn) }
                }
            }
        }
        var m = EnhancementMetrics(method: method.rawValue, liverTumorContrast: nil, sliceConsistency: nil, liverMean: nil, tumorMean: nil)
        if ln > 0 { m.liverMean = ls / ln }
        if tn > 0 { m.tumorMean = ts / tn }
        if ln > 1, tn > 1 {
            let vl = max(0, ls2 / ln - (ls / ln) * (ls / ln)), vt = max(0, ts2 / tn - (ts / tn) * (ts / tn))
            let pooled = ((vl + vt) / 2).squareRoot()
            m.liverTumorContrast = pooled > 0 ? abs(ls / ln - ts / tn) / pooled : nil
        }
        if sliceMeans.count > 1 {
            let mean = sliceMeans.reduce(0, +) / Double(sliceMeans.count)
            m.sliceConsistency = (sliceMeans.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(sliceMeans.count)).squareRoot()
        }
        return m
    }
}
