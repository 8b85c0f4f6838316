import ArgumentParser
import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSTraining

/// `lits bench`: the engine's speed, measured in-process, in the same line format as
/// benchmarks/peers/torch_unet.py prints (NAME min_s=X median_s=Y n=N), so compare.sh pairs them.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the training engine: a training step, inference, one convolution, OpenBLAS's sgemm peak.",
        subcommands: [TrainStep.self, Conv.self, PredictVolume.self, Augment.self])

    struct Common: ParsableArguments {
        @Option(name: .customLong("repeat"), help: "Timed repeats (after one warm-up).")
        var repeats = 5

        @Option(help: "Worker threads (each calls single-threaded OpenBLAS).")
        var threads = 2

        func validate() throws {
            guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        }
    }

    /// Times `body` `repeats` times after one warm-up; `prepare` runs before each call, untimed
    /// (a layer's backward needs its forward first).
    static func measure(_ name: String, repeats: Int, prepare: () -> Void = {}, _ body: () -> Void) -> Double {
        prepare()
        body()  // warm-up: first-touch allocations and caches
        var times: [Double] = []
        for _ in 0..<repeats {
            prepare()
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        print(name + String(format: " min_s=%.4f median_s=%.4f n=%d", times[0], median, repeats))
        return median
    }

    static func peakRSSMB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss / 1024
    }

    struct TrainStep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "train-step",
            abstract: "Forward + backward + Adam step of the U-Net on random patches; then inference forward alone.")

        @OptionGroup var common: Common

        @Option(help: "Batch size.")
        var batch = 2

        @Option(help: "Patch D,H,W.")
        var patch = "16,96,96"

        @Option(help: "Filters per level.")
        var filters = "16,32,64,128"

        func run() throws {
            let p = patch.split(separator: ",").compactMap { Int($0) }
            var config = UNetConfig()
            config.filters = filters.split(separator: ",").compactMap { Int($0) }
            let shape = [batch, 1] + p
            if let problem = config.problem(withInput: shape) { throw ValidationError(problem) }
            let model = UNet3D(config, context: NetContext(workers: common.threads))
            var rng = SeededGenerator(seed: 1)
            let x = Tensor.uniform(shape, bound: 1, using: &rng)
            var y = Tensor(shape: [batch, 2] + p)
            for i in 0..<y.count where Float.random(in: 0...1, using: &rng) > 0.7 { y.data[i] = 1 }
            let adam = Adam(parameters: model.parameters, lr: 1e-3)
            model.setTraining(true)
            _ = Bench.measure("train_step", repeats: common.repeats) {
                model.zeroGrad()
                let probs = model.forward(x)
                model.backward(Losses.jaccardDistance(pred: probs, target: y).grad)
                adam.step()
            }
            model.setTraining(false)
            _ = Bench.measure("infer_forward", repeats: common.repeats) { _ = model.forward(x) }
            print("summary train_step parameters=\(model.parameters.reduce(0) { $0 + $1.value.count }) peak_rss_mb=\(Bench.peakRSSMB()) conv=\(BLASProbe.convolutionPath(model.context))")
        }
    }

    struct Conv: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One 32-to-32 channel 3x3x3 convolution on (1, 32, 16, 96, 96), forward and backward, and sgemm's peak; the direct kernels in fp32 and bf16 where the CPU has AVX512_BF16.")

        @OptionGroup var common: Common

        func run() throws {
            var rng = SeededGenerator(seed: 2)
            let conv = Conv3d(32, 32, kernelSize: 3, context: NetContext(workers: common.threads), using: &rng)
            let x = Tensor.uniform([1, 32, 16, 96, 96], bound: 1, using: &rng)
            var y = conv.forward(x)
            let flops = 2.0 * 32 * 32 * 27 * 16 * 96 * 96
            let fwd = Bench.measure("conv3d_forward", repeats: common.repeats) { y = conv.forward(x) }
            let bwd = Bench.measure("conv3d_backward", repeats: common.repeats, prepare: { y = conv.forward(x) }) {
                _ = conv.backward(y)
            }
            let peak = BLASProbe.sgemmGFLOPS(n: 1024, threads: common.threads)
            print(String(format: "summary conv3d forward_gflops=%.1f backward_gflops=%.1f sgemm_1024_gflops=%.1f forward_share_of_peak=%.2f conv=%@",
                         flops / fwd / 1e9, 2 * flops / bwd / 1e9, peak, flops / fwd / 1e9 / peak, BLASProbe.convolutionPath(conv.context)))
            if KernelConvolution.isSupported(.bf16) { Self.comparePrecisions(x: x, weight: conv.weight.value, bias: conv.bias.value.data,
                                                                             flops: flops, common: common) }
        }

        /// The direct kernels alone, fp32 against bf16, on the same convolution: forward, weight
        /// gradient alone, and backward: input + weight gradient (the input gradient is their difference).
        static func comparePrecisions(x: Tensor, weight: Tensor, bias: [Float], flops: Double, common: Common) {
            var seconds: [ConvolutionPrecision: (forward: Double, weight: Double, both: Double)] = [:]
            let dy = KernelConvolution.forward(x, weight: weight, bias: bias, precision: .fp32, workers: common.threads)
            for precision in ConvolutionPrecision.allCases {
                // bf16 names pair with benchmarks/peers/torch_conv.py --autocast-bf16 in compare.sh.
                let name = precision == .bf16 ? "conv3d_bf16" : "conv3d_kernel_fp32"
                let forward = Bench.measure(name + "_forward", repeats: common.repeats) {
                    _ = KernelConvolution.forward(x, weight: weight, bias: bias, precision: precision, workers: common.threads)
                }
                let weightOnly = Bench.measure(name + "_weight_gradient", repeats: common.repeats) {
                    _ = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: false, precision: precision, workers: common.threads)
                }
                let both = Bench.measure(name + "_backward", repeats: common.repeats) {   // input and weight gradient
                    _ = KernelConvolution.backward(x: x, dy: dy, weight: weight, inputGradient: true, precision: precision, workers: common.threads)
                }
                seconds[precision] = (forward, weightOnly, both)
            }
            let a = seconds[.fp32]!, b = seconds[.bf16]!
            print(String(format: "summary conv3d_bf16 forward_gflops=%.1f forward_speedup=%.2f input_gradient_speedup=%.2f weight_gradient_speedup=%.2f backward_speedup=%.2f",
                         flops / b.forward / 1e9, a.forward / b.forward, (a.both - a.weight) / (b.both - b.weight),
                         a.weight / b.weight, a.both / b.both))
        }
    }

    struct PredictVolume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "predict",
            abstract: "Sliding-window prediction of one preprocessed volume (a volN.npy) with a run's best checkpoint.")

        @OptionGroup var common: Common

        @Option(name: .customLong("run"), help: "Run folder of `lits train`.")
        var runFolder: String

        @Option(help: "A preprocessed volume, volN.npy from `lits preprocess`.")
        var npy: String

        func run() throws {
            let run = try TrainedRun(reading: runFolder)
            let options = run.config
            let model = try run.loadModel(.best, context: NetContext(workers: common.threads))
            model.setTraining(false)
            let array = try NPY.read(path: npy)
            let shape = Array(array.shape.reversed())
            let volume = Volume(grid: Grid(shape: shape, spacing: [1, 1, 1]), voxels: array.floats())
            var checksum = 0.0
            _ = Bench.measure("predict_volume", repeats: common.repeats) {
                let probs = SlidingWindow.predict(volume, options: options.windowOptions) { model.forward($0) }
                checksum = probs[0].voxels.reduce(0.0) { $0 + Double($1) }
            }
            print("summary predict_volume shape=\(shape.map(String.init).joined(separator: "x")) patch=\(options.patch) liver_probability_sum=\(checksum) peak_rss_mb=\(Bench.peakRSSMB()) conv=\(BLASProbe.convolutionPath(model.context))")
        }
    }

    struct Augment: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Augmentation's share of a training batch: cutting, augmenting (nnU-Net defaults) and one training step of the demo model, on a preprocessed case.")

        @OptionGroup var common: Common

        @Argument(help: "A `lits preprocess` folder; its first labelled case is used.")
        var data: String

        @Option(help: "Patches augmented per timed repeat (the transforms fire at random).")
        var patches = 100

        @Option(help: "Patch W,H,D (the demo's 96,96,16).")
        var patch = PatchSize(d: 16, h: 96, w: 96)

        func run() throws {
            let folder = try PreprocessedFolder(reading: data)
            guard let id = folder.ids.first, let labels = try folder.load(id).labels else {
                throw ValidationError("\(data): no labelled case")
            }
            let image = try folder.load(id).image
            let size = patch
            var sampler = PatchSampler(mode: .liverBiased(pLiver: 0.4, pLesion: 0.3), size: size, seed: 1)
            let cut = sampler.sample(image: image, labels: labels, count: patches)
            let augmenter = Augmenter(options: .nnUNetDefault(patch: size))
            var round: UInt64 = 0
            let sample = Bench.measure("cut_patches", repeats: common.repeats) {
                _ = sampler.sample(image: image, labels: labels, count: patches)
            }
            let augment = Bench.measure("augment_patches", repeats: common.repeats) {
                round += 1
                for (n, p) in cut.enumerated() {
                    _ = augmenter.augment(p, image: image, labels: labels, seed: Augmenter.itemSeed(epochSeed: round, item: n))
                }
            }
            var config = UNetConfig()
            config.filters = [8, 16, 32, 64]
            let model = UNet3D(config, context: NetContext(workers: common.threads))
            let adam = Adam(parameters: model.parameters, lr: 1e-3)
            let (x, y) = PatchSampler.makeBatch(Array(cut.prefix(2)), size: size)
            model.setTraining(true)
            let step = Bench.measure("train_step_demo", repeats: common.repeats) {
                model.zeroGrad()
                model.backward(Losses.jaccardDistance(pred: model.forward(x), target: y).grad)
                adam.step()
            }
            let perPatch = (cut: sample / Double(patches), augment: augment / Double(patches), step: step / 2)
            print(String(format: "summary augment ms_per_patch cut=%.3f augment=%.3f train_step=%.1f throughput_drop=%.2f%% (augmenting one patch at a time, one thread)",
                         perPatch.cut * 1e3, perPatch.augment * 1e3, perPatch.step * 1e3,
                         100 * perPatch.augment / (perPatch.cut + perPatch.augment + perPatch.step)))
        }
    }
}
