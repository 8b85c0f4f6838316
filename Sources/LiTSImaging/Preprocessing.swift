import Foundation
import LiTSCore

/// The baseline's step 1 done right: clip HU to a window, resample in-plane to a fixed size and
/// slices to a fixed thickness (CT interpolated, labels nearest neighbour), min-max normalise.
/// With `targetSpacing`, every axis is resampled to a spacing in mm instead (nnU-Net's way), so
/// a cropped case and a full-body case reach the network at the same scale.
public struct PreprocessOptions: Codable, Equatable, Sendable {
    public var window = HUWindow.liver
    /// In-plane size (nx, ny) after resampling (ignored when `targetSpacing` is set).
    public var inPlaneSize = [168, 168]
    /// Slice spacing in mm after resampling (ignored when `targetSpacing` is set).
    public var sliceSpacing = 2.0
    /// Spacing (x, y, z) in mm after resampling; nil: the fixed in-plane size above. Each side
    /// becomes round(n * spacing / target), so the spacing reached is within half a voxel of it
    /// over the field of view (the case's manifest entry records the exact one).
    public var targetSpacing: [Double]?
    public var interpolation = Interpolation.linear
    /// Contrast enhancement applied to the windowed CT before resampling (nil: none, the baseline).
    public var equalize: EnhancementMethod?
    public var enhancement: EnhancementOptions?
    /// Cut each case to the bounding box of its body (`BodyMask`) before resampling, as nnU-Net
    /// crops to the non-zero region: less air for the network (instance norm never sees a window
    /// of air alone) and less work. Nil (manifests and runs from before the option): off.
    public var cropToBody: Bool?

    public init() {}
}

/// What was done to one case, enough to map a prediction back to the original file.
public struct PreprocessedCase: Codable, Equatable, Sendable {
    public var id: String
    public var volume: String
    public var segmentation: String?
    public var volumeFile: String
    public var maskFile: String?
    /// The source file's grid, as stored.
    public var originalShape: [Int]
    public var originalSpacing: [Double]
    public var originalAffine: [[Double]]
    public var originalOrientation: String
    /// The canonical (RAS+) grid the resampling started from.
    public var canonicalShape: [Int]
    public var canonicalAffine: [[Double]]
    /// The output grid (canonical orientation); arrays are stored C-order as (nz, ny, nx).
    public var shape: [Int]
    public var spacing: [Double]
    public var affine: [[Double]]
    /// Range mapped to [0, 1] (HU after clipping to the window and resampling; with --equalize, the
    /// enhanced values, already in [0, 1]).
    public var normalizationMin: Float
    public var normalizationMax: Float
    public var labelCounts: [Int]?
    /// With `cropToBody`: the body's box on the canonical grid (inclusive voxel indices), which
    /// the output grid covers; outside it a prediction is background.
    public var bodyBox: VoxelBox?
}

public enum Preprocessor {
    /// Output shape for a canonical grid: in-plane size fixed and slice count from the slice
    /// spacing, or every side from the target spacing.
    public static func targetShape(for grid: Grid, options: PreprocessOptions) -> [Int] {
        sides(for: grid, options: options).map { max(1, Int(min($0, Double(Int32.max)))) }
    }

    /// The output sides before they are made integers (a lying header can ask for 1e12).
    static func sides(for grid: Grid, options: PreprocessOptions) -> [Double] {
        if let target = options.targetSpacing {
            return (0..<3).map { (Double(grid.shape[$0]) * grid.spacing[$0] / target[$0]).rounded() }
        }
        return [Double(options.inPlaneSize[0]), Double(options.inPlaneSize[1]),
                (Double(grid.shape[2]) * grid.spacing[2] / options.sliceSpacing).rounded()]
    }

    /// Refuses a case whose output grid cannot fit in memory (a slice spacing of 1e5 mm in a
    /// header asks for millions of slices): the float32 output and the resampling's intermediate.
    public static func checkFits(_ c: LoadedCase, options: PreprocessOptions) throws {
        if let method = options.equalize {
            try (options.enhancement ?? EnhancementOptions()).check(method, shape: c.ct.shape, path: c.info.volumePath)
        }
        let n = sides(for: c.grid, options: options).map { max(1, $0) }
        let voxels = n[0] * n[1] * n[2]
        let extent = (0..<3).map { Double(c.grid.shape[$0]) * c.grid.spacing[$0] }
        if let target = options.targetSpacing {
            try MemoryBudget.check(voxels * 4 * 3, for: String(format: "the output grid %.0fx%.0fx%.0f (%.0fx%.0fx%.0f mm at %gx%gx%g mm)",
                                                              n[0], n[1], n[2], extent[0], extent[1], extent[2], target[0], target[1], target[2]),
                                   path: c.info.volumePath,
                                   advice: String(format: "the header's spacing (%gx%gx%g mm) is likely wrong, or choose a larger --spacing",
                                                  c.grid.spacing[0], c.grid.spacing[1], c.grid.spacing[2]))
            return
        }
        try MemoryBudget.check(voxels * 4 * 3, for: String(format: "the output grid %dx%dx%.0f (%.0f mm along the body axis at %g mm slices)",
                                                          options.inPlaneSize[0], options.inPlaneSize[1], n[2], extent[2], options.sliceSpacing),
                               path: c.info.volumePath,
                               advice: String(format: "the header's slice spacing (%g mm) is likely wrong, or choose a larger --slice-spacing", c.grid.spacing[2]))
    }

    /// A reason when options are out of range (they come from the command line or a file read back).
    public static func problem(_ o: PreprocessOptions) -> String? {
        if !(o.window.low.isFinite && o.window.high.isFinite && o.window.low < o.window.high) { return "window must be L,H with L < H" }
        if o.inPlaneSize.count != 2 || o.inPlaneSize.contains(where: { $0 < 1 || $0 > 65536 }) { return "in-plane size must be two sides in 1...65536" }
        if !(o.sliceSpacing > 0 && o.sliceSpacing.isFinite) { return "slice spacing must be positive" }
        if let t = o.targetSpacing, t.count != 3 || t.contains(where: { !($0 > 0 && $0.isFinite) }) {
            return "target spacing must be three positive values in mm, got \(t)"
        }
        return nil
    }

    /// With `cropToBody`, the case cut to its body's bounding box (CT and labels, on a grid that
    /// keeps every voxel's world position) and that box; otherwise the case as it is and nil. A
    /// volume without body voxels is kept whole. `bodyBox`: the case's box when already known.
    public static func cropped(_ c: LoadedCase, options: PreprocessOptions, bodyBox: VoxelBox? = nil) -> (case: LoadedCase, box: VoxelBox?) {
        guard options.cropToBody == true, let box = bodyBox ?? BodyMask.box(c.ct) else { return (c, nil) }
        var out = c
        out.ct = box.crop(c.ct)
        out.labels = c.labels.map { box.crop($0) }
        return (out, box)
    }

    /// The image step (`image`) and the body box it cropped to (nil: not cropped), for mapping a
    /// prediction back onto the whole canonical grid.
    public static func imageAndBox(_ c: LoadedCase, options: PreprocessOptions, bodyBox: VoxelBox? = nil) -> (ct: Volume<Float>, box: VoxelBox?) {
        let (inBox, box) = cropped(c, options: options, bodyBox: bodyBox)
        return (resampledImage(inBox, options: options).ct, box)
    }

    /// The image step: the CT cut to the body when asked, windowed (or enhanced), resampled to
    /// the target shape and min-max normalised to [0, 1], with the range that was mapped (for the
    /// manifest).
    public static func image(_ c: LoadedCase, options: PreprocessOptions)
        -> (ct: Volume<Float>, normalizationMin: Float, normalizationMax: Float) {
        resampledImage(cropped(c, options: options).case, options: options)
    }

    /// The image step on a case already cropped.
    static func resampledImage(_ c: LoadedCase, options: PreprocessOptions)
        -> (ct: Volume<Float>, normalizationMin: Float, normalizationMax: Float) {
        let shape = targetShape(for: c.grid, options: options)
        var resampled: Volume<Float>
        if let method = options.equalize, method != .window {
            // Enhance at full resolution, where the slices and histograms are the scanner's own.
            let enhanced = Enhancement.apply(method, to: c.ct, window: options.window,
                                             options: options.enhancement ?? EnhancementOptions())
            let unit = HUWindow(low: 0, high: 1)
            resampled = Resampler.resample(enhanced, to: shape, interpolation: options.interpolation, clippingTo: unit)
            if options.interpolation == .cubic { resampled = resampled.clipped(to: unit) }
        } else {
            resampled = Resampler.resample(c.ct, to: shape, interpolation: options.interpolation, clippingTo: options.window)
            if options.interpolation == .cubic {  // cubic overshoots at edges: keep values in the window
                resampled = resampled.clipped(to: options.window)
            }
        }
        let (normalised, lo, hi) = resampled.minMaxNormalized()
        return (normalised, lo, hi)
    }

    /// The label step: nearest neighbour onto the image step's grid (never interpolated and rounded).
    public static func labels(_ labels: LabelMap, for grid: Grid, options: PreprocessOptions) -> LabelMap {
        Resampler.resample(labels, to: targetShape(for: grid, options: options))
    }

    /// Both steps, and the manifest entry that records them.
    public static func run(_ whole: LoadedCase, options: PreprocessOptions)
        -> (ct: Volume<Float>, labels: LabelMap?, entry: PreprocessedCase) {
        let (c, box) = cropped(whole, options: options)
        let (normalised, lo, hi) = resampledImage(c, options: options)
        let labels = c.labels.map { Preprocessor.labels($0, for: c.grid, options: options) }
        let src = c.source.grid
        let entry = PreprocessedCase(
            id: c.info.id, volume: c.info.volumePath, segmentation: c.info.segmentationPath,
            volumeFile: "vol\(c.info.id).npy", maskFile: labels == nil ? nil : "mask\(c.info.id).npy",
            originalShape: src.shape, originalSpacing: src.spacing, originalAffine: src.affine.rows,
            originalOrientation: src.axisCodes,
            canonicalShape: whole.grid.shape, canonicalAffine: whole.grid.affine.rows,
            shape: normalised.shape, spacing: normalised.grid.spacing, affine: normalised.grid.affine.rows,
            normalizationMin: lo, normalizationMax: hi, labelCounts: labels.map { Array($0.labelCounts().prefix(3)) }, bodyBox: box)
        return (normalised, labels, entry)
    }
}
