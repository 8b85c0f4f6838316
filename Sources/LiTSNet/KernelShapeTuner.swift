import Foundation
import LiTSCore

// Chooses the fp32 direct convolution's KernelShape for the CPU at hand, as FFTW's wisdom does:
// on first use in a process, read the choice cached for this CPU; if there is none (or it is
// unreadable, or from another CPU or kernel version), time the candidates on two of the U-Net's
// layer shapes (well under 2 s), choose, and write the cache. LITSKIT_KERNEL_SHAPES=fixed skips
// all of it and uses the built-in shape. The choice never changes a result a training run
// depends on (KernelShape.swift says why), only its speed.
//
// Cache: one JSON file per CPU in $LITSKIT_CACHE_DIR, else $XDG_CACHE_HOME/litskit, else
// ~/.cache/litskit; written to a temporary file and renamed, so two processes at once each leave
// a whole file. A directory that cannot be written only means measuring in every process.

public struct KernelShapeTuner {
    /// Bump when kernels or candidates change, so that old caches are measured again.
    public static let kernelVersion = 2

    /// What a cached choice is valid for: the CPU model, the ISA flags the kernels care about,
    /// the core count (the thread split), and the kernel version.
    public struct CPUKey: Codable, Hashable, Sendable {
        public var vendor: String
        public var family: String
        public var model: String
        public var modelName: String
        public var flags: [String]
        public var cores: Int
        public var kernelVersion: Int

        /// The flags that change which kernels run or how fast.
        static let relevantFlags: Set<String> = [
            "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "avx512_vnni",
            "avx_vnni", "avx512_fp16", "amx_tile", "amx_bf16",
        ]

        /// This machine, from /proc/cpuinfo (empty fields where it is missing).
        public static var current: CPUKey {
            let fields = CPUInfo.fields
            let flags = (fields["flags"] ?? "").split(separator: " ").map(String.init).filter(relevantFlags.contains).sorted()
            return CPUKey(vendor: fields["vendor_id"] ?? "", family: fields["cpu family"] ?? "", model: fields["model"] ?? "",
                          modelName: fields["model name"] ?? "", flags: flags, cores: NetContext.defaultWorkers,
                          kernelVersion: KernelShapeTuner.kernelVersion)
        }

        /// The cache file's name: the same for every kernel version (a new version rewrites it).
        var fileName: String {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a, stable across runs (Hasher is not)
            for byte in [vendor, family, model, modelName, flags.joined(separator: ","), String(cores)].joined(separator: "|").utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            return "kernel-shapes-" + String(hash, radix: 16) + ".json"
        }
    }

    /// One candidate's time (seconds: the fastest of `repeats`, summed over the layer shapes).
    public struct Timing: Codable, Equatable, Sendable {
        public var shape: KernelShape
        public var seconds: Double
        public init(shape: KernelShape, seconds: Double) { (self.shape, self.seconds) = (shape, seconds) }
    }

    /// What the cache file holds: the key, and per kernel set the choice and the timings behind it.
    struct CacheFile: Codable {
        struct Entry: Codable {
            var shape: KernelShape
            var forward: [Timing]
            var gradient: [Timing]
        }
        var key: CPUKey
        var sets: [String: Entry]
    }

    /// Where caches live (nil: nowhere, measure every time).
    public var directory: String?
    public var key: CPUKey
    /// Times one candidate for one pass (`.forward` or `.weightGradient`); the real one runs the
    /// kernels on the U-Net's layer shapes (`measureOnLayers`). Tests pass their own, which times
    /// nothing.
    public var measure: (_ shape: KernelShape, _ pass: Pass) -> Double

    public enum Pass: Sendable { case forward, weightGradient }

    public init(directory: String? = KernelShapeTuner.defaultDirectory, key: CPUKey = .current,
                measure: @escaping (_ shape: KernelShape, _ pass: Pass) -> Double = KernelShapeTuner.measureOnLayers) {
        (self.directory, self.key, self.measure) = (directory, key, measure)
    }

    /// $LITSKIT_CACHE_DIR, else $XDG_CACHE_HOME/litskit, else ~/.cache/litskit.
    public static var defaultDirectory: String? {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["LITSKIT_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/litskit" }
        if let home = env["HOME"], !home.isEmpty { return home + "/.cache/litskit" }
        return nil
    }

    /// The cache file for this key, or nil without a directory.
    public var cachePath: String? { directory.map { $0 + "/" + key.fileName } }

    /// The shape for `kernels`: the cached choice for this key, else a new measurement (then
    /// cached). `measured` says which.
    func shape(for kernels: DirectKernels) -> (shape: KernelShape, measured: Bool) {
        var file = readCache()
        if let entry = file?.sets[kernels.name], entry.shape.isValid, entry.shape.kernels == kernels {
            return (entry.shape, false)
        }
        let (ft, gt) = time(forward: KernelShapeTuner.forwardCandidates(kernels),
                            gradient: KernelShapeTuner.gradientCandidates(kernels))
        var choice = KernelShapeTuner.decide(kernels, forward: ft, gradient: gt)
        // A shape that is not the built-in one must win again, alone against it: a burst of
        // other work during the first rounds must not leave a slower shape cached for good.
        let builtIn = KernelShape.builtIn(kernels)
        if choice != builtIn {
            let gradientChoice = KernelShape(kernels, forward: .outputs4, gradient: choice.gradient, bandPositions: 4096)
            let (f, g) = time(forward: [builtIn, choice], gradient: [builtIn, gradientChoice])
            choice = KernelShapeTuner.decide(kernels, forward: f, gradient: g)
        }
        if file == nil { file = CacheFile(key: key, sets: [:]) }
        file!.sets[kernels.name] = CacheFile.Entry(shape: choice, forward: ft, gradient: gt)
        writeCache(file!)
        return (choice, true)
    }

    /// Each candidate's fastest time over `repeats` interleaved rounds: the cores may be shared
    /// with other work, which only ever adds time (medians of 3 chose a different shape in nearly
    /// every run on the shared 2-core VM).
    func time(forward: [KernelShape], gradient: [KernelShape]) -> (forward: [Timing], gradient: [Timing]) {
        var f = [[Double]](repeating: [], count: forward.count), g = [[Double]](repeating: [], count: gradient.count)
        for _ in 0..<KernelShapeTuner.repeats {
            for (i, s) in forward.enumerated() { f[i].append(measure(s, .forward)) }
            for (i, s) in gradient.enumerated() { g[i].append(measure(s, .weightGradient)) }
        }
        return (zip(forward, f).map { Timing(shape: $0, seconds: $1.min() ?? .nan) },
                zip(gradient, g).map { Timing(shape: $0, seconds: $1.min() ?? .nan) })
    }

    /// The timings cached for `kernels` (for `lits bench conv`), or nil.
    func cachedTimings(for kernels: DirectKernels) -> (forward: [Timing], gradient: [Timing])? {
        readCache()?.sets[kernels.name].map { ($0.forward, $0.gradient) }
    }

    // MARK: - The decision (pure: timings in, choice out)

    /// Forward candidates: each forward blocking x each band, the built-in first.
    static func forwardCandidates(_ kernels: DirectKernels) -> [KernelShape] {
        let builtIn = KernelShape.builtIn(kernels)
        var all = [builtIn]
        for f in KernelShape.ForwardBlocking.allCases { for b in KernelShape.bandCandidates {
            let s = KernelShape(kernels, forward: f, gradient: builtIn.gradient, bandPositions: b)
            if s != builtIn { all.append(s) }
        } }
        return all
    }

    /// Weight-gradient candidates: each blocking (its band is always the fixed one), the built-in first.
    static func gradientCandidates(_ kernels: DirectKernels) -> [KernelShape] {
        KernelShape.GradientBlocking.allCases.map { KernelShape(kernels, forward: .outputs4, gradient: $0, bandPositions: 4096) }
    }

    /// A candidate must beat the built-in shape by this fraction to replace it, so that noise
    /// alone does not move the choice.
    static let margin = 0.05

    /// The forward blocking and band of the fastest forward timing, the gradient blocking of the
    /// fastest gradient timing; the built-in part wherever nothing beats it by `margin` (or a
    /// timing is missing or not a positive number).
    static func decide(_ kernels: DirectKernels, forward: [Timing], gradient: [Timing]) -> KernelShape {
        var choice = KernelShape.builtIn(kernels)
        func best(_ timings: [Timing], _ isBuiltIn: (KernelShape) -> Bool) -> KernelShape? {
            let valid = timings.filter { $0.seconds.isFinite && $0.seconds > 0 && $0.shape.kernels == kernels }
            guard let base = valid.first(where: { isBuiltIn($0.shape) }),
                  let fastest = valid.min(by: { $0.seconds < $1.seconds }),
                  fastest.seconds < base.seconds * (1 - margin) else { return nil }
            return fastest.shape
        }
        if let f = best(forward, { $0.forward == choice.forward && $0.bandPositions == choice.bandPositions }) {
            (choice.forward, choice.bandPositions) = (f.forward, f.bandPositions)
        }
        if let g = best(gradient, { $0.gradient == choice.gradient }) { choice.gradient = g.gradient }
        return choice
    }

    /// Timed rounds over all candidates.
    static let repeats = 5

    // MARK: - The cache file

    /// The cache for this key, or nil if missing, unreadable, corrupt or for another key.
    func readCache() -> CacheFile? {
        guard let path = cachePath, let data = FileManager.default.contents(atPath: path),
              let file = try? JSONDecoder().decode(CacheFile.self, from: data), file.key == key else { return nil }
        return file
    }

    /// Writes the cache through a temporary file and a rename; any failure is ignored (the next
    /// process measures again).
    func writeCache(_ file: CacheFile) {
        guard let directory, let path = cachePath else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(file),
              (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil else { return }
        let temporary = directory + "/.\(key.fileName).\(getpid()).\(UInt64.random(in: 0...UInt64.max)).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }

    // MARK: - The real measurement

    /// Two of the U-Net's full- and half-resolution layers (filters 16 and 32): 16 -> 16 channels
    /// on 3 planes of 128 x 128 and 32 -> 32 on 3 of 64 x 64 (about 0.7 GFLOP each), so that the
    /// bands of 2048 to 16384 positions split a plane differently.
    static let layers: [(cin: Int, cout: Int, d: Int, h: Int, w: Int)] = [(16, 16, 3, 128, 128), (32, 32, 3, 64, 64)]

    /// Random x, weight and dy of each of `layers`, made once.
    static let layerData: [(x: Tensor, weight: Tensor, dy: Tensor)] = layers.enumerated().map { i, l in
        var rng = SeededGenerator(seed: UInt64(90 + i))
        return (Tensor.uniform([1, l.cin, l.d, l.h, l.w], bound: 1, using: &rng),
                Tensor.uniform([l.cout, l.cin, 3, 3, 3], bound: 0.1, using: &rng),
                Tensor.uniform([1, l.cout, l.d, l.h, l.w], bound: 1, using: &rng))
    }

    /// Seconds for one pass of `shape` over `layers`, on every core.
    public static func measureOnLayers(_ shape: KernelShape, _ pass: Pass) -> Double {
        guard let kernels = shape.kernels, kernels.isSupported else { return .nan }
        let workers = NetContext.defaultWorkers
        var total = 0.0
        for (l, data) in zip(layers, layerData) {
            let bias = [Float](repeating: 0, count: l.cout)
            var dW = [Float](repeating: 0, count: data.weight.count), db = bias
            let t0 = DispatchTime.now().uptimeNanoseconds
            switch pass {
            case .forward:
                _ = DirectConv3d.forward(data.x, weight: data.weight, bias: bias, outChannels: l.cout, kernels: kernels,
                                         shape: shape, workers: workers)
            case .weightGradient:
                _ = DirectConv3d.backward(x: data.x, dy: data.dy, weight: data.weight, inputGradient: false, weightGrad: &dW,
                                          biasGrad: &db, kernels: kernels, shape: shape, workers: workers)
            }
            total += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        return total
    }
}

extension KernelShapeTuner {
    /// How a process picks its shapes, from LITSKIT_KERNEL_SHAPES: unset, empty or `tuned`: the
    /// tuned shape; `SET/FORWARD/GRADIENT/BAND` (e.g. `avx512/outputs8/taps3/2048`): that shape
    /// for that kernel set (to measure or pin one); `fixed` or anything else: the built-in shape,
    /// never measuring.
    public enum Mode: Sendable, Equatable {
        case tuned, fixed
        case explicit(KernelShape)

        public static var environment: Mode { Mode(ProcessInfo.processInfo.environment["LITSKIT_KERNEL_SHAPES"]) }

        public init(_ text: String?) {
            guard let text, !text.isEmpty, text != "tuned" else { self = .tuned; return }
            let parts = text.split(separator: "/").map(String.init)
            if parts.count == 4, let f = KernelShape.ForwardBlocking(rawValue: parts[1]),
               let g = KernelShape.GradientBlocking(rawValue: parts[2]), let band = Int(parts[3]) {
                let shape = KernelShape(kernelSet: parts[0], forward: f, gradient: g, bandPositions: band)
                if shape.isValid { self = .explicit(shape); return }
            }
            self = .fixed
        }

        /// The shape this mode gives `kernels` without measuring, or nil for `.tuned`.
        func unmeasured(_ kernels: DirectKernels) -> KernelShape? {
            switch self {
            case .tuned: nil
            case .fixed: KernelShape.builtIn(kernels)
            case .explicit(let s): s.kernels == kernels ? s : KernelShape.builtIn(kernels)
            }
        }
    }

    /// The process's shapes, chosen once per kernel set on first use.
    public static let shared = ProcessShapes()

    public final class ProcessShapes: @unchecked Sendable {
        private let lock = NSLock()
        private var chosen: [DirectKernels: KernelShape] = [:]

        /// The shape for `kernels` in this process (the built-in one where the mode is fixed).
        func shape(for kernels: DirectKernels) -> KernelShape {
            lock.lock()
            defer { lock.unlock() }
            if let s = chosen[kernels] { return s }
            // Measuring runs the kernels with explicit shapes, so it does not come back here.
            let s = Mode.environment.unmeasured(kernels) ?? KernelShapeTuner().shape(for: kernels).shape
            chosen[kernels] = s
            return s
        }

        /// The shape a layer on `path` runs with no shape in its context, or nil for im2col
        /// (`lits bench conv` prints it).
        public func shape(for path: ConvolutionPath) -> KernelShape? {
            path.directKernels.map { shape(for: $0) }
        }

        /// The timings behind the cached choice for `path`'s kernel set, if a cache holds them.
        public func cachedTimings(for path: ConvolutionPath) -> (forward: [Timing], gradient: [Timing])? {
            path.directKernels.flatMap { KernelShapeTuner().cachedTimings(for: $0) }
        }
    }
}
