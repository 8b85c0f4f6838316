import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSTraining

/// `lits bench`: the engine's speed, measured in-process. Every measurement is reported as a line
/// in the format benchmarks/peers/torch_unet.py prints (NAME min_s=X median_s=Y n=N), so
/// benchmarks/compare.sh pairs them, then one `summary` line.
public enum EngineBench {
    public struct Settings: Sendable {
        /// Timed repeats (after one warm-up).
        public var repeats: Int
        /// Worker threads (each calls single-threaded OpenBLAS).
        public var threads: Int

        public init(repeats: Int, threads: Int) {
            (self.repeats, self.threads) = (repeats, threads)
        }
    }

    /// Times `body` `repeats` times after one warm-up; `prepare` runs before each call, untimed
    /// (a layer's backward needs its forward first). Reports the line, returns the median.
    static func measure(_ name: String, _ settings: Settings, report: (String) -> Void,
                        prepare: () -> Void = {}, _ body: () -> Void) -> Double {
        prepare()
        body()  // warm-up: first-touch allocations and caches
        var times: [Double] = []
        for _ in 0..<settings.repeats {
            prepare()
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        report(name + String(format: " min_s=%.4f median_s=%.4f n=%d", times[0], median, settings.repeats))
        return median
    }

    static func peakRSSMB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss / 1024
    }

    /// Forward + backward + Adam step of the U-Net on random patches of `patch`, then inference
    /// forward alone.
    public static func trainStep(batch: Int, patch: PatchSize, filters: [Int], _ settings: Settings, report: (String) -> Void) throws {
        let p = [patch.d, patch.h, patch.w]
        var config = UNetConfig()
        config.filters = filters
        let shape = [batch, 1] + p
        if let problem = config.problem(withInput: shape) { throw LiTSError(.invalidArgument, path: nil, "--patch \(patch.w),\(patch.h),\(patch.d): \(problem)") }
        let model = UNet3D(config, context: NetContext(workers: settings.threads))
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.uniform(shape, bound: 1, using: &rng)
        var y = Tensor(shape: [batch, 2] + p)
        for i in 0..<y.count where Float.random(in: 0...1, using: &rng) > 0.7 { y.data[i] = 1 }
        let adam = Adam(parameters: model.parameters, lr: 1e-3)
        model.setTraining(true)
        _ = measure("train_step", settings, report: report) {
            model.zeroGrad()
            let probs = model.forward(x)
            model.backward(Losses.jaccardDistance(pred: probs, target: y).grad)
            adam.step()
        }
        model.setTraining(false)
        _ = measure("infer_forward", settings, report: report) { _ = model.forward(x) }
        report("summary train_step parameters=\(model.parameters.reduce(0) { $0 + $1.value.count }) peak_rss_mb=\(peakRSSMB()) conv=\(BLASProbe.convolutionPath(model.context))")
    }

    /// One 32-to-32 channel 3x3x3 convolution on (1, 32, 16, 96, 96), forward and backward, and
    /// sgemm's peak; the direct kernels in fp32 against bf16 where the CPU has AVX512_BF16. First
    /// the kernel shape this CPU runs (KernelShapeTuner: measured now if no cache holds it), and
    /// the tuner's time for each candidate; the timings below are of the chosen shape.
    public static func convolution(_ settings: Settings, report: (String) -> Void) {
        var context = NetContext(workers: settings.threads)
        // LITSKIT_KERNEL_SHAPES=avx2/... on a CPU with AVX-512: time the AVX2 set's shape.
        if case .explicit(let shape) = KernelShapeTuner.Mode.environment, shape.kernelSet == "avx2" { context.convolution = .directAVX2 }
        let t0 = DispatchTime.now().uptimeNanoseconds
        if let shape = KernelShapeTuner.shared.shape(for: context.convolution) {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if case .tuned = KernelShapeTuner.Mode.environment, let timings = KernelShapeTuner.shared.cachedTimings(for: context.convolution) {
                for t in timings.forward { report(String(format: "kernel_shape_forward %@ band=%d seconds=%.4f", t.shape.forward.rawValue, t.shape.bandPositions, t.seconds)) }
                for t in timings.gradient { report(String(format: "kernel_shape_weight_gradient %@ seconds=%.4f", t.shape.gradient.rawValue, t.seconds)) }
            }
            report(String(format: "summary kernel_shape %@ chosen_in_s=%.2f", shape.description, seconds))
        }
        var rng = SeededGenerator(seed: 2)
        let conv = Conv3d(32, 32, kernelSize: 3, context: context, using: &rng)
        let x = Tensor.uniform([1, 32, 16, 96, 96], bound: 1, using: &rng)
        var y = conv.forward(x)
        let flops = 2.0 * 32 * 32 * 27 * 16 * 96 * 96
        let fwd = measure("conv3d_forward", settings, report: report) { y = conv.forward(x) }
        let bwd = measure("conv3d_backward", settings, report: report, prepare: { y = conv.forward(x) }) {
            _ = conv.backward(y)
        }
        let peak = BLASProbe.sgemmGFLOPS(n: 1024, threads: settings.threads)
        report(String(format: "summary conv3d forward_gflops=%.1f backward_gflops=%.1f sgemm_1024_gflops=%.1f forward_share_of_peak=%.2f conv=%@",
                      flops / fwd / 1e9, 2 * flops / bwd / 1e9, peak, flops / fwd / 1e9 / peak, BLASProbe.convolutionPath(conv.context)))
        if KernelConvolution.isSupported(.bf16) {
            comparePrecisions(x: x, weight: conv.weight.value, bias: conv.bias.value.data, flops: flops, settings, report: report)
        }
    }

    /// The direct kernels alone, fp32 against bf16 and int8 (each where the CPU runs it), on the
    /// same convolution: forward, weight gradient alone, and backward: input + weight gradient
    /// (the input gradient is their difference). int8 is inference only: forward alone. The
    /// precisions take turns, `settings.repeats` rounds, so that load on the shared cores hits
    /// all of them alike; each line reports the median of its rounds.
    static func comparePrecisions(x: Tensor, weight: Tensor, bias: [Float], flops: Double, _ settings: Settings, report: (String) -> Void) {
        var seconds: [ConvolutionPrecision: (forward: Double, weight: Double, both: Double)] = [:]
        let workers = settings.threads
        let dy = KernelConvolution.forward(x, weight: weight, bias: bias, precision: .fp32, workers: workers)
        let precisions = ConvolutionPrecision.allCases.filter { KernelConvolution.isSupported($0) }
        // bf16 names pair with benchmarks/peers/torch_conv.py --autocast-bf16 in compare.sh.
        func name(_ p: ConvolutionPrecision) -> String { p == .fp32 ? "conv3d_kernel_fp32" : "conv3d_\(p.rawValue)" }
        func time(_ body: () -> Void) -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        }
        var rounds: [ConvolutionPrecision: [[Double]]] = [:]   // per precision: rounds of (forward, weight, both)
        for precision in precisions {   // warm-up: first-touch allocations and caches
            _ = KernelConvolution.forward(x, weight: weight, bias: bias, precision: precision, workers: workers)
        }
        for _ in 0..<max(1, settings.repeats) {
            for precision in precisions {
                var r = [time { _ = KernelConvolution.forward(x, weight: weight, bias: bias, precision: precision, workers: workers) }]
                if precision.trains {
                    r.append(time { _ = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: false, precision: precision, workers: workers) })
                    r.append(time { _ = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: true, precision: precision, workers: workers) })
                }
                rounds[precision, default: []].append(r)
            }
        }
        for precision in precisions {
            let r = rounds[precision]!
            var m: [Double] = []
            for (i, part) in ["_forward", "_weight_gradient", "_backward"].prefix(r[0].count).enumerated() {
                let t = r.map { $0[i] }.sorted()
                let median = t.count % 2 == 1 ? t[t.count / 2] : (t[t.count / 2 - 1] + t[t.count / 2]) / 2
                report(name(precision) + part + String(format: " min_s=%.4f median_s=%.4f n=%d", t[0], median, t.count))
                m.append(median)
            }
            seconds[precision] = (m[0], m.count > 1 ? m[1] : 0, m.count > 2 ? m[2] : 0)
        }
        let a = seconds[.fp32]!
        if let b = seconds[.bf16] {
            report(String(format: "summary conv3d_bf16 forward_gflops=%.1f forward_speedup=%.2f input_gradient_speedup=%.2f weight_gradient_speedup=%.2f backward_speedup=%.2f",
                          flops / b.forward / 1e9, a.forward / b.forward, (a.both - a.weight) / (b.both - b.weight),
                          a.weight / b.weight, a.both / b.both))
        }
        if let q = seconds[.int8] {
            let versusBF16 = seconds[.bf16].map { String(format: " forward_speedup_vs_bf16=%.2f", $0.forward / q.forward) } ?? ""
            report(String(format: "summary conv3d_int8 forward_gops=%.1f forward_speedup=%.2f", flops / q.forward / 1e9, a.forward / q.forward) + versusBF16)
        }
    }

    /// Sliding-window prediction of one preprocessed volume (a volN.npy) with a run's best checkpoint,
    /// in fp32 or `precision` (the line is then predict_volume_bf16 or _int8).
    public static func predictVolume(run runFolder: String, npy: String, precision: ConvolutionPrecision? = nil,
                                     _ settings: Settings, report: (String) -> Void) throws {
        let run = try TrainedRun(reading: runFolder)
        let options = run.config
        let model = try run.loadModel(.best, context: NetContext(workers: settings.threads, precision: precision ?? .fp32))
        let name = precision.map { $0 == .fp32 ? "predict_volume" : "predict_volume_\($0.rawValue)" } ?? "predict_volume"
        model.setTraining(false)
        let array = try NPY.read(path: npy)
        let shape = Array(array.shape.reversed())
        let volume = Volume(grid: Grid(shape: shape, spacing: [1, 1, 1]), voxels: array.floats())
        var checksum = 0.0
        _ = measure(name, settings, report: report) {
            let probs = SlidingWindow.predict(volume, options: options.windowOptions) { model.forward($0) }
            checksum = probs[0].voxels.reduce(0.0) { $0 + Double($1) }
        }
        report("summary \(name) shape=\(shape.map(String.init).joined(separator: "x")) patch=\(options.patch) liver_probability_sum=\(checksum) peak_rss_mb=\(peakRSSMB()) conv=\(BLASProbe.convolutionPath(model.context))")
    }

    /// Augmentation's share of a training batch: cutting `patches` liver-biased patches,
    /// augmenting them (nnU-Net's defaults) one at a time, and one training step of the demo
    /// model, on the first labelled case of a preprocessed folder.
    public static func augmentation(data: String, patches: Int, patch: PatchSize, _ settings: Settings, report: (String) -> Void) throws {
        let folder = try PreprocessedFolder(reading: data)
        guard let id = folder.ids.first, let labels = try folder.load(id).labels else {
            throw LiTSError(.invalidArgument, path: data, "no labelled case")
        }
        let image = try folder.load(id).image
        var sampler = PatchSampler(mode: .liverBiased(pLiver: 0.4, pLesion: 0.3), size: patch, seed: 1)
        let cut = sampler.sample(image: image, labels: labels, count: patches)
        let augmenter = Augmenter(options: .nnUNetDefault(patch: patch))
        var round: UInt64 = 0
        let sample = measure("cut_patches", settings, report: report) {
            _ = sampler.sample(image: image, labels: labels, count: patches)
        }
        let augment = measure("augment_patches", settings, report: report) {
            round += 1
            for (n, p) in cut.enumerated() {
                _ = augmenter.augment(p, image: image, labels: labels, seed: Augmenter.itemSeed(epochSeed: round, item: n))
            }
        }
        var config = UNetConfig()
        config.filters = [8, 16, 32, 64]
        let model = UNet3D(config, context: NetContext(workers: settings.threads))
        let adam = Adam(parameters: model.parameters, lr: 1e-3)
        let (x, y) = PatchSampler.makeBatch(Array(cut.prefix(2)), size: patch)
        model.setTraining(true)
        let step = measure("train_step_demo", settings, report: report) {
            model.zeroGrad()
            model.backward(Losses.jaccardDistance(pred: model.forward(x), target: y).grad)
            adam.step()
        }
        let perPatch = (cut: sample / Double(patches), augment: augment / Double(patches), step: step / 2)
        report(String(format: "summary augment ms_per_patch cut=%.3f augment=%.3f train_step=%.1f throughput_drop=%.2f%% (augmenting one patch at a time, one thread)",
                      perPatch.cut * 1e3, perPatch.augment * 1e3, perPatch.step * 1e3,
                      100 * perPatch.augment / (perPatch.cut + perPatch.augment + perPatch.step)))
    }
}
