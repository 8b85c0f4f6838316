import Foundation
import LiTSCore
import LiTSNet

/// How overlapping windows are averaged.
public enum Blending: String, Codable, Sendable, CaseIterable {
    /// Weights falling off from the window's centre (nnU-Net, MONAI `mode="gaussian"`).
    case gaussian
    /// Every window voxel weighs the same (MONAI `mode="constant"`).
    case constant
}

/// What a window reads outside the volume (on an axis shorter than the window).
public enum WindowPadding: String, Codable, Sendable, CaseIterable {
    /// `padValue` (MONAI's `padding_mode="constant"` with `cval`).
    case constant
    /// Beyond the first and last slice, that slice (PyTorch's `replicate`, along k only); in plane
    /// `padValue`. The body goes on above and below a scan, while in plane the field of view ends
    /// in air: a slab of three slices then reaches the network as a thicker slab of the same
    /// anatomy rather than as slices of nothing, which a network trained on whole volumes never saw.
    case nearestSlice = "nearest-slice"
}

public struct SlidingWindowOptions: Codable, Equatable, Sendable {
    /// The window, normally the training patch.
    public var patch: PatchSize
    /// Fraction of a window shared with its neighbour, in [0, 1).
    public var overlap: Double
    public var blending: Blending
    /// Gaussian sigma as a fraction of the window side, per axis (MONAI's `sigma_scale`).
    public var sigmaScale: Double
    /// Windows per model call.
    public var batchSize: Int
    /// Value of the padding voxels where the volume is smaller than the window (MONAI's `cval`).
    public var padValue: Float
    /// When set, an axis shorter than the patch gets a window of that axis rounded up to a
    /// multiple of this (the size the model accepts, `UNetConfig.sideDivisor`) instead of the
    /// whole patch side: less padding and less work. Nil pads up to the patch, as MONAI does.
    public var sideDivisor: Int?
    /// What windows read outside the volume.
    public var padding: WindowPadding

    public init(patch: PatchSize = .baseline, overlap: Double = 0.5, blending: Blending = .gaussian,
                sigmaScale: Double = 0.125, batchSize: Int = 2, padValue: Float = 0, sideDivisor: Int? = nil,
                padding: WindowPadding = .constant) {
        self.patch = patch
        self.overlap = overlap
        self.blending = blending
        self.sigmaScale = sigmaScale
        self.batchSize = batchSize
        self.padValue = padValue
        self.sideDivisor = sideDivisor
        self.padding = padding
    }

    /// A readable reason when an option is out of range, or nil.
    public var problem: String? {
        if patch.d < 1 || patch.h < 1 || patch.w < 1 { return "window sides must be positive, got \(patch)" }
        if !(overlap >= 0 && overlap < 1) { return "overlap must be in [0, 1), got \(overlap)" }
        if !(sigmaScale > 0 && sigmaScale.isFinite) { return "sigma scale must be positive, got \(sigmaScale)" }
        if batchSize < 1 { return "batch size must be at least 1, got \(batchSize)" }
        if let s = sideDivisor, s < 1 { return "side divisor must be at least 1, got \(s)" }
        if !padValue.isFinite { return "pad value must be finite" }
        return nil
    }
}

/// Whole-volume prediction with a patch-based model, after MONAI's `sliding_window_inference`
/// (monai/inferers/utils.py, MONAI 1.6.1). What is followed and where it differs:
///
/// - Padding: an axis shorter than the window is padded to the window with `padValue`, `(p - n)/2`
///   voxels before and the rest after (MONAI: `half = diff // 2` before, `F.pad` constant mode
///   with `cval`), and the result is cropped back. Followed; the padding is never materialised,
///   windows read `padValue` outside the volume. With `sideDivisor` set the window shrinks on such
///   an axis to the axis rounded up to the divisor (MONAI has no such option).
/// - Window placement: `windowStarts` is `_get_scan_interval` plus `dense_patch_slices`, exactly
///   (interval `int(window * (1 - overlap))`, at least 1, or the window when the padded axis equals
///   the window; windows at multiples of it until one reaches the end; every start clamped so the
///   last window is flush with the end). Windows are visited with D outermost and W innermost, as
///   MONAI's `np.meshgrid(..., indexing="ij")`, and sent `batchSize` at a time (`sw_batch_size`).
/// - Weights: `importanceMap` is `compute_importance_map` (monai/data/utils.py): per axis
///   `exp(x^2 / (-2 sigma^2))` at x = -(p-1)/2 ... (p-1)/2 with sigma = `sigmaScale * p`, in
///   float32, multiplied out D, H, W, then clamped from below at max(min(map), 1e-3), so edge
///   voxels of a lone window still count. Followed exactly.
/// - Accumulation: sums of probability x weight and of weight in window order, then one division,
///   as MONAI, but in Float64 where MONAI uses float32 (`compute_dtype`): a model that returns its
///   input then gets it back bit for bit (a float32 sum misses by a few ulp), and the results
///   differ from MONAI's by float32 rounding only (about 1e-7). The price is 8 bytes per voxel per
///   channel plus one while predicting (about 270 MB for two channels of 168x168x400). Only voxels
///   inside the volume are accumulated (MONAI accumulates the padded image and crops; the kept
///   voxels get the same sums).
/// - Padding modes: constant (MONAI's) and nearest-slice (`WindowPadding`), which `lits predict` uses.
/// - Not supported: models whose output has another spatial size than their input (MONAI rescales
///   the weights), `buffer_steps`, `process_fn`, reflect and other padding modes.
///
/// Checked against MONAI in the tests (window starts, importance maps, and whole predictions of a
/// window-dependent model, to about 1e-6); `scripts/make_sliding_window_fixture.py` regenerates
/// the reference numbers.
public enum SlidingWindow {
    /// Starts of the windows along one axis, as MONAI places them. When `length < window` the
    /// axis is padded to `window` first and the only start is 0 (of the padded axis).
    public static func windowStarts(length: Int, window: Int, overlap: Double) -> [Int] {
        precondition(length >= 1 && window >= 1, "length and window must be positive")
        let size = max(length, window)  // MONAI: image_size = max(image_size_, roi_size)
        // _get_scan_interval: `roi == image_size` -> roi; else int(roi * (1 - o)), 0 -> 1.
        let interval = window == size ? window : max(Int(Double(window) * (1 - overlap)), 1)
        // dense_patch_slices: the first d with d * interval + window >= size ends the scan.
        let num = Int((Double(size) / Double(interval)).rounded(.up))
        var scanNum = 1
        for d in 0..<num where d * interval + window >= size {
            scanNum = d + 1
            break
        }
        return (0..<scanNum).map { idx in
            let s = idx * interval
            return s - max(s + window - size, 0)
        }
    }

    /// The window actually used on a volume of `shape` [nx, ny, nz]: the patch, except that with
    /// `sideDivisor` set an axis shorter than the patch gets that axis rounded up to the divisor.
    public static func windowSize(shape: [Int], options: SlidingWindowOptions) -> PatchSize {
        func side(_ n: Int, _ p: Int) -> Int {
            guard let s = options.sideDivisor, n < p else { return p }
            return min(p, (n + s - 1) / s * s)
        }
        return PatchSize(d: side(shape[2], options.patch.d), h: side(shape[1], options.patch.h),
                         w: side(shape[0], options.patch.w))
    }

    /// How many windows `predict` runs over a volume of `shape` [nx, ny, nz] (for progress lines).
    public static func windowCount(shape: [Int], options: SlidingWindowOptions) -> Int {
        let win = windowSize(shape: shape, options: options)
        return windowStarts(length: shape[2], window: win.d, overlap: options.overlap).count
            * windowStarts(length: shape[1], window: win.h, overlap: options.overlap).count
            * windowStarts(length: shape[0], window: win.w, overlap: options.overlap).count
    }

    /// Blending weights of one window, (D, H, W) row-major, as MONAI's `compute_importance_map`.
    public static func importanceMap(_ size: PatchSize, blending: Blending, sigmaScale: Double = 0.125) -> [Float] {
        guard blending == .gaussian else { return [Float](repeating: 1, count: size.count) }
        func profile(_ p: Int) -> [Float] {
            let sigma = Double(p) * sigmaScale
            let denominator = Float(-2 * sigma * sigma)  // torch: float32 tensor / python scalar
            return (0..<p).map { n in
                let x = Float(n) - Float(p - 1) / 2  // arange(-(p-1)/2, (p-1)/2 + 1), exact
                return Foundation.exp(x * x / denominator)
            }
        }
        let gd = profile(size.d), gh = profile(size.h), gw = profile(size.w)
        var map = [Float](repeating: 0, count: size.count)
        var n = 0
        for kk in 0..<size.d {
            for jj in 0..<size.h {
                let dh = gd[kk] * gh[jj]  // torch multiplies the D x H map out first, then W
                for ii in 0..<size.w {
                    map[n] = dh * gw[ii]
                    n += 1
                }
            }
        }
        // "handle non-positive weights": clamp at max(min(map), 1e-3).
        let floor = Float(max(Double(map.min() ?? 1), 1e-3))
        for n in map.indices where map[n] < floor { map[n] = floor }
        return map
    }

    /// Probability volumes, one per output channel, on the input's grid. `model` maps a batch
    /// (N, 1, D, H, W) of windows to (N, C, D, H, W) with the same D, H, W.
    public static func predict(_ image: Volume<Float>, options: SlidingWindowOptions,
                               model: (Tensor) throws -> Tensor) rethrows -> [Volume<Float>] {
        try predict(channels: [image], options: options, model: model)
    }

    /// The same for a multi-channel input (the cascade's lesion stage: CT and liver mask), all
    /// channels on one grid; `model` receives (N, C, D, H, W).
    public static func predict(channels inputs: [Volume<Float>], options: SlidingWindowOptions,
                               model: (Tensor) throws -> Tensor) rethrows -> [Volume<Float>] {
        precondition(options.problem == nil, options.problem ?? "")
        precondition(!inputs.isEmpty && inputs.allSatisfy { $0.shape == inputs[0].shape }, "input channels must share one grid")
        let image = inputs[0], inChannels = inputs.count
        let (nx, ny, nz) = (image.shape[0], image.shape[1], image.shape[2])
        let win = windowSize(shape: image.shape, options: options)
        // MONAI pads each short axis by diff // 2 before; origins are in volume coordinates.
        let padK = max(win.d - nz, 0) / 2, padJ = max(win.h - ny, 0) / 2, padI = max(win.w - nx, 0) / 2
        let startsK = windowStarts(length: nz, window: win.d, overlap: options.overlap).map { $0 - padK }
        let startsJ = windowStarts(length: ny, window: win.h, overlap: options.overlap).map { $0 - padJ }
        let startsI = windowStarts(length: nx, window: win.w, overlap: options.overlap).map { $0 - padI }
        var origins: [(k: Int, j: Int, i: Int)] = []
        for k in startsK { for j in startsJ { for i in startsI { origins.append((k, j, i)) } } }

        let weights = importanceMap(win, blending: options.blending, sigmaScale: options.sigmaScale)
        let m = win.count
        var weightSum = [Double](repeating: 0, count: image.count)
        var sums: [[Double]] = []
        var channels = 0

        var first = 0
        while first < origins.count {
            let batch = Array(origins[first..<min(first + options.batchSize, origins.count)])
            first += batch.count
            var x = [Float](repeating: options.padValue, count: batch.count * inChannels * m)
            for (b, o) in batch.enumerated() {
                for (c, input) in inputs.enumerated() {
                    copyWindow(input, origin: o, size: win, padding: options.padding, into: &x, offset: (b * inChannels + c) * m)
                }
            }
            let y = try model(Tensor(shape: [batch.count, inChannels, win.d, win.h, win.w], data: x))
            precondition(y.rank == 5 && y.shape[0] == batch.count && Array(y.shape[2...]) == [win.d, win.h, win.w],
                         "model returned \(y.shape) for windows \([batch.count, inChannels, win.d, win.h, win.w])")
            if sums.isEmpty {
                channels = y.shape[1]
                sums = [[Double]](repeating: [Double](repeating: 0, count: image.count), count: channels)
            }
            precondition(y.shape[1] == channels, "model changed its channel count")
            weights.withUnsafeBufferPointer { w in
                y.data.withUnsafeBufferPointer { p in
                    for (b, o) in batch.enumerated() {
                        // Weights once per window (MONAI's count map), probabilities per channel.
                        accumulate(w, weights: nil, origin: o, size: win, shape: image.shape, into: &weightSum)
                        for c in 0..<channels {
                            let window = UnsafeBufferPointer(rebasing: p[((b * channels + c) * m)..<((b * channels + c + 1) * m)])
                            accumulate(window, weights: w, origin: o, size: win, shape: image.shape, into: &sums[c])
                        }
                    }
                }
            }
        }
        return sums.map { s in
            Volume(grid: image.grid, voxels: (0..<s.count).map { Float(s[$0] / weightSum[$0]) })
        }
    }

    /// Sliding-window probabilities of a `UNet3D` (switched to evaluation mode and left there).
    /// Without a `sideDivisor` in the options the network's own is used, so volumes smaller than
    /// the patch are padded only up to a size the network accepts.
    public static func predict(_ image: Volume<Float>, network: UNet3D, options: SlidingWindowOptions) throws -> [Volume<Float>] {
        try predict(channels: [image], network: network, options: options)
    }

    /// The same for a multi-channel input.
    public static func predict(channels image: [Volume<Float>], network: UNet3D, options: SlidingWindowOptions) throws -> [Volume<Float>] {
        var o = options
        if o.sideDivisor == nil { o.sideDivisor = network.config.sideDivisor }
        if let p = o.problem { throw LiTSError(.invalidArgument, path: nil, p) }
        let win = windowSize(shape: image[0].shape, options: o)
        if let p = network.config.problem(withInput: [1, image.count, win.d, win.h, win.w]) {
            throw LiTSError(.invalidArgument, path: nil, "sliding window \(win): \(p)")
        }
        network.setTraining(false)
        return predict(channels: image, options: o) { network.forward($0) }
    }

    // MARK: - Window copies

    /// Calls `row(volumeStart, windowStart, count)` for each row of a window (origin `o`, size
    /// `size`) clipped to a volume of `shape` (i fastest): the row's first voxel in the volume and
    /// in the window, and how many voxels of it lie inside the volume.
    private static func forEachRowInside(origin o: (k: Int, j: Int, i: Int), size: PatchSize, shape: [Int],
                                         _ row: (_ volumeStart: Int, _ windowStart: Int, _ count: Int) -> Void) {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        let i0 = max(o.i, 0), i1 = min(o.i + size.w, nx)
        guard i0 < i1 else { return }
        for kk in 0..<size.d {
            let k = o.k + kk
            guard k >= 0 && k < nz else { continue }
            for jj in 0..<size.h {
                let j = o.j + jj
                guard j >= 0 && j < ny else { continue }
                row(i0 + nx * (j + ny * k), (i0 - o.i) + size.w * (jj + size.h * kk), i1 - i0)
            }
        }
    }

    /// Copies the volume under a window into `x` at `offset`; voxels outside keep their value
    /// (constant padding), or outside the slices take the nearest slice's (nearest-slice).
    private static func copyWindow(_ image: Volume<Float>, origin o: (k: Int, j: Int, i: Int), size: PatchSize,
                                   padding: WindowPadding, into x: inout [Float], offset: Int) {
        let nz = image.shape[2]
        image.voxels.withUnsafeBufferPointer { src in
            x.withUnsafeMutableBufferPointer { dst in
                // Slice by slice: window slice kk reads volume slice k (clamped for nearest-slice).
                let slice = PatchSize(d: 1, h: size.h, w: size.w), sliceVoxels = size.h * size.w
                for kk in 0..<size.d {
                    var k = o.k + kk
                    if padding == .nearestSlice { k = min(max(k, 0), nz - 1) }
                    guard k >= 0 && k < nz else { continue }
                    forEachRowInside(origin: (k, o.j, o.i), size: slice, shape: image.shape) { s, t, count in
                        for n in 0..<count { dst[offset + kk * sliceVoxels + t + n] = src[s + n] }
                    }
                }
            }
        }
    }

    /// `target[voxel] += values[window voxel] * weights[window voxel]` (or `+= values[...]` when
    /// `weights` is nil) over the part of the window inside the volume.
    private static func accumulate(_ values: UnsafeBufferPointer<Float>, weights: UnsafeBufferPointer<Float>?,
                                   origin o: (k: Int, j: Int, i: Int), size: PatchSize, shape: [Int],
                                   into target: inout [Double]) {
        target.withUnsafeMutableBufferPointer { dst in
            forEachRowInside(origin: o, size: size, shape: shape) { s, t, count in
                if let w = weights {
                    for n in 0..<count { dst[s + n] += Double(values[t + n]) * Double(w[t + n]) }
                } else {
                    for n in 0..<count { dst[s + n] += Double(values[t + n]) }
                }
            }
        }
    }
}
