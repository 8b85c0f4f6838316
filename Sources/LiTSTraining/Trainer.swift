import Foundation
import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSRender

/// The training loss (saved in `config.json` by its raw value).
public enum LossFunction: String, Codable, CaseIterable, Sendable {
    /// The baseline's Jaccard distance (s = 100), summed over the batch per channel.
    case jaccard
    /// Soft Dice.
    case dice
}

/// Everything a run is trained with; saved as the run's `config.json`.
public struct TrainOptions: Codable, Equatable, Sendable {
    public var model = UNetConfig()
    public var patch = PatchSize.baseline
    /// The baseline: each batch loads 3 volumes and takes 4 patches from each.
    public var volumesPerBatch = 3
    public var patchesPerVolume = 4
    public var epochs = 20
    public var batchesPerEpoch = 50
    public var sampling = SamplingMode.liverBiased(pLiver: 0.4, pLesion: 0.3)
    /// On-the-fly augmentation of each sampled patch (`.off`: the patches as cut).
    public var augmentation = AugmentationOptions.off
    public var loss = LossFunction.jaccard
    public var learningRate: Float = 1e-3
    /// How the rate changes over the run (nil in runs from before the option: plateau).
    public var lrSchedule: LRSchedule?
    /// ReduceLROnPlateau on the validation Dice (Keras semantics).
    public var lrFactor = 0.5
    public var lrPatience = 3
    public var minLearningRate = 1e-6
    public var seed: UInt64 = 0
    public var overlap = 0.5
    public var blending = Blending.gaussian
    public var split = DataSplit(train: [], validation: [], test: [])
    /// How the training data were preprocessed (copied from the manifest); `lits predict` repeats it.
    public var preprocessing = PreprocessOptions()
    /// The preprocessed folder the run trains on.
    public var dataFolder = ""
    /// The cascade stage (nil: joint, as in runs from before the cascade).
    public var stage: CascadeStage?
    /// A lesion stage's liver run, and the margin in mm around the liver's bounding box.
    public var liverRun: LiverRunReference?
    public var liverMargin: Double?
    /// What kernel-3 convolutions multiply in (nil in runs from before the option: fp32). bf16 keeps
    /// fp32 weights, optimizer state, batch norm and loss (mixed precision).
    public var precision: ConvolutionPrecision?
    /// Worker threads of every layer call (`--threads`): each sums its share of a gradient, so
    /// the count sets the summation order, and `--resume` keeps it to stay bit for bit (nil in
    /// runs from before it was recorded: the `--threads` given).
    public var threads: Int?
    /// The format of the run page's charts (`--figures`; nil in runs from before the option: PNG).
    /// `--resume` keeps it.
    public var figures: FigureFormat?
    /// The recipe the run started from, what it set and what the command line overrode (nil in
    /// runs from before recipes, and in runs started through the library with explicit options).
    public var recipe: RecipeRecord?

    public init() {}

    /// A reason when the options cannot train (from the command line, or a `config.json` read
    /// back), or nil.
    public var problem: String? {
        if let p = inference.problem { return p }
        if let p = augmentation.problem { return p }
        if volumesPerBatch < 1 || patchesPerVolume < 1 || epochs < 1 || batchesPerEpoch < 1 {
            return "epochs, batches and patch counts must be at least 1"
        }
        if !(learningRate.isFinite && learningRate > 0) { return "learning rate must be a positive number, got \(learningRate)" }
        if let threads, threads < 1 { return "threads must be at least 1, got \(threads)" }
        if !(lrFactor > 0 && lrFactor < 1) { return "ReduceLROnPlateau factor must be in (0, 1), got \(lrFactor)" }
        if lrPatience < 0 { return "ReduceLROnPlateau patience must not be negative" }
        if let (pLiver, pLesion) = sampling.probabilities,
           !((0...1).contains(pLiver) && (0...1).contains(pLesion) && pLiver + pLesion <= 1) {
            return "--p-liver and --p-lesion must be probabilities summing to at most 1"
        }
        return nil
    }

    /// What `lits predict` reads back from the run's `config.json`.
    public var inference: InferenceConfig {
        InferenceConfig(model: model, patch: patch, preprocessing: preprocessing, overlap: overlap, blending: blending,
                        stage: stage, liverRun: liverRun, liverMargin: liverMargin, precision: precision)
    }
}

/// One line of `history.csv`.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double?
    public var diceLiver: Double?
    public var diceLesion: Double?
    public var learningRate: Double
    public var sampler: SamplerStats
    public var seconds: Double

    /// What ReduceLROnPlateau and "best" follow: the mean of the liver and lesion Dice (liver alone
    /// when no validation case has a lesion).
    public var score: Double? {
        switch (diceLiver, diceLesion) {
        case let (l?, t?) where !t.isNaN: return (l + t) / 2
        case let (l?, _): return l
        default: return nil
        }
    }
}

/// The training loop. Every random choice of epoch e comes from generators seeded with
/// (seed, e), so a resumed run continues exactly as an uninterrupted one would.
///
/// Data parallel (a process group of N ranks, `mpirun -n N lits train`): every rank draws the
/// same global batch from the same generators and keeps its N-th of the patches, so the batch,
/// the sampler statistics and a resumed run do not depend on N; the loss adds its overlap sums
/// over ranks, the gradients are added over ranks in one flat buffer (one MPI_Allreduce per
/// step), and every rank takes the same optimizer step. With instance norm or synchronised
/// batch norm N ranks compute what one process computes, up to float summation order.
public final class Trainer {
    public let options: TrainOptions
    public let data: PreprocessedFolder
    public let model: UNet3D
    public let optimizer: Adam
    public let scheduler: ReduceLROnPlateau
    public private(set) var history: [EpochRecord] = []
    public private(set) var bestScore = -Double.infinity
    private var cache: [String: TrainingCase] = [:]

    /// What a case gives the sampler: the whole preprocessed case, or for the lesion stage the
    /// box around its liver (from the ground truth) with the liver mask as a second channel.
    struct TrainingCase {
        var image: Volume<Float>
        var labels: LabelMap?
        var extraChannels: [Volume<Float>] = []
    }
    /// The ranks of a data-parallel run (nil: this process alone).
    public let group: ProcessGroup?
    /// Seconds spent adding gradients over ranks, and the steps they were spent in.
    public private(set) var allreduceSeconds = 0.0
    public private(set) var steps = 0

    public init(options: TrainOptions, data: PreprocessedFolder, context: NetContext = .default, group: ProcessGroup? = nil) {
        self.options = options
        self.data = data
        self.group = group.flatMap { $0.size > 1 ? $0 : nil }
        // The run's precision, where this CPU has it (a bf16 run resumed elsewhere continues in fp32).
        var context = context
        context.precision = options.precision ?? .fp32
        if let threads = options.threads { context.workers = threads }
        model = UNet3D(options.model, context: context)
        model.synchroniseBatchNorm(over: self.group)
        optimizer = Adam(parameters: model.parameters, lr: options.learningRate)
        scheduler = ReduceLROnPlateau(optimizer: optimizer, mode: .max, factor: options.lrFactor,
                                      patience: options.lrPatience, minLR: options.minLearningRate)
    }

    /// Rank 0's weights and batch norm statistics on every rank (each builds the same seeded
    /// model, and a resumed run reads the same files, but the ranks must start identical).
    public func broadcastWeights() {
        guard let group else { return }
        var flat = model.parameters.flatMap(\.value.data) + model.namedBuffers.flatMap(\.1.value.data)
        flat.withUnsafeMutableBufferPointer { group.broadcast($0, root: 0) }
        var offset = 0
        for p in model.parameters {
            p.value.data.replaceSubrange(0..<p.value.count, with: flat[offset..<(offset + p.value.count)])
            offset += p.value.count
        }
        for (_, b) in model.namedBuffers {
            b.value.data.replaceSubrange(0..<b.value.count, with: flat[offset..<(offset + b.value.count)])
            offset += b.value.count
        }
    }

    /// This rank's positions in a global batch of `count` patches: the r-th of N equal
    /// consecutive parts.
    func share(ofBatch count: Int) -> Range<Int> {
        guard let group else { return 0..<count }
        let part = count / group.size
        return (group.rank * part)..<((group.rank + 1) * part)
    }

    /// Every parameter's gradient added over the ranks, through one flat buffer (one
    /// MPI_Allreduce a step, as Horovod's tensor fusion). The loss already holds the global
    /// batch's sums, so the sum of the ranks' gradients is the global batch's gradient.
    func allreduceGradients() {
        guard let group else { return }
        let t0 = Date()
        let params = model.parameters
        var flat = [Float]()
        flat.reserveCapacity(params.reduce(0) { $0 + $1.grad.count })
        for p in params { flat += p.grad.data }
        group.sum(&flat)
        var offset = 0
        for p in params {
            p.grad.data.replaceSubrange(0..<p.grad.count, with: flat[offset..<(offset + p.grad.count)])
            offset += p.grad.count
        }
        allreduceSeconds += Date().timeIntervalSince(t0)
    }

    static func seed(_ base: UInt64, _ epoch: Int, _ stream: UInt64) -> UInt64 {
        var g = SeededGenerator(seed: base &+ UInt64(epoch) &* 0x9E37_79B9 &+ stream &* 0x85EB_CA6B)
        return g.next()
    }

    func trainingCase(_ id: String) throws -> TrainingCase {
        if let c = cache[id] { return c }
        let arrays = try data.load(id)
        try data.requireTrainingRanges(arrays)
        var c = TrainingCase(image: arrays.image, labels: arrays.labels)
        if options.stage == .lesion, let labels = arrays.labels {
            let liver = labels.voxels.map { $0 >= 1 }
            if let box = LiverBox(mask: liver, grid: labels.grid, marginMM: options.liverMargin ?? 0) {
                let inputs = box.inputs(ct: arrays.image, liverMask: liver)
                c = TrainingCase(image: inputs[0], labels: box.crop(labels), extraChannels: [inputs[1]])
            } else {
                c.extraChannels = [Volume(grid: arrays.image.grid, repeating: 0)]
            }
        }
        if cache.count >= 64 { cache.removeAll() }  // bounded memory for large datasets
        cache[id] = c
        return c
    }

    /// Target channels: liver alone for the liver stage, else liver and lesion.
    var targetChannels: Int { options.model.outChannels }

    /// Runs epochs `history.count + 1 ... options.epochs`. `shouldStop` is polled after every batch
    /// (Ctrl-C); `report` receives progress lines; `endOfEpoch` saves the run.
    public func train(shouldStop: () -> Bool, report: (String) -> Void,
                      endOfEpoch: (EpochRecord, _ isBest: Bool) throws -> Void) throws -> Bool {
        let trainIDs = options.split.train
        guard !trainIDs.isEmpty else { throw LiTSError(.noCases, path: data.path, "no training cases in the split") }
        model.setTraining(true)
        let start = history.count + 1
        // For the whole run's ETA: the seconds of this session's batches and validations.
        var batchSeconds = 0.0, batchesDone = 0, validationSeconds: Double?
        for epoch in start...max(start, options.epochs) where epoch <= options.epochs {
            let t0 = Date()
            if options.lrSchedule == .poly {
                optimizer.learningRate = PolyLearningRate.rate(initial: options.learningRate, epoch: epoch, of: options.epochs)
            }
            var sampler = PatchSampler(mode: options.sampling, size: options.patch, seed: Trainer.seed(options.seed, epoch, 1))
            var pick = SeededGenerator(seed: Trainer.seed(options.seed, epoch, 2))
            var stats = SamplerStats()
            let augmenter = options.augmentation.isOff ? nil : Augmenter(options: options.augmentation)
            let augmentSeed = Trainer.seed(options.seed, epoch, 3)
            var lossSum = 0.0
            let batchSize = options.volumesPerBatch * options.patchesPerVolume, mine = share(ofBatch: batchSize)
            for batch in 1...options.batchesPerEpoch {
                // Every rank draws the whole global batch (the samplers stay in step) and keeps,
                // and augments, only its share.
                var patches: [SampledPatch] = []
                var position = 0
                var ids = trainIDs.shuffled(using: &pick)
                while ids.count < options.volumesPerBatch { ids += trainIDs.shuffled(using: &pick) }
                for id in ids.prefix(options.volumesPerBatch) {
                    let c = try trainingCase(id)
                    guard let labels = c.labels else { throw LiTSError(.invalidArgument, path: data.path, "training case \(id) has no labels") }
                    let cut = sampler.sample(image: c.image, labels: labels, count: options.patchesPerVolume, caseID: id,
                                             extraChannels: c.extraChannels, stats: &stats)
                    let kept = cut.indices.filter { mine.contains(position + $0) }
                    defer { position += cut.count }
                    guard let augmenter else { patches += kept.map { cut[$0] }; continue }
                    // Item numbers count the patches of the epoch, so every patch has its own seed.
                    let first = (batch - 1) * batchSize + position
                    let seeds = kept.map { Augmenter.itemSeed(epochSeed: augmentSeed, item: first + $0) }
                    patches += augmenter.augment(kept.map { cut[$0] }, image: c.image, labels: labels, seeds: seeds,
                                                 extraChannels: c.extraChannels)
                }
                let (x, y) = PatchSampler.makeBatch(patches, size: options.patch, targetChannels: targetChannels)
                model.zeroGrad()
                let probs = model.forward(x)
                let loss = lossFunction(probs, y, group: group)
                // A diverged step is never saved: the run stops with the last finished epoch's set.
                if !loss.value.isFinite {
                    throw Divergence(epoch: epoch, batch: batch, what: "loss is \(loss.value.isNaN ? "NaN" : "infinite")")
                }
                model.backward(loss.grad)
                allreduceGradients()
                optimizer.step()
                if let name = firstNonFiniteValue() {
                    throw Divergence(epoch: epoch, batch: batch, what: "\(name) is NaN or infinite after the step")
                }
                steps += 1
                lossSum += loss.value
                let elapsed = Date().timeIntervalSince(t0)
                let rate = Double(batch * batchSize) / max(elapsed, 1e-9)
                let eta = elapsed / Double(batch) * Double(options.batchesPerEpoch - batch)
                let perBatch = (batchSeconds + elapsed) / Double(batchesDone + batch)
                let batchesLeft = (options.epochs - epoch) * options.batchesPerEpoch + options.batchesPerEpoch - batch
                // Validation is not timed before the first one: the run's ETA counts batches only until then.
                let runETA = perBatch * Double(batchesLeft) + (validationSeconds ?? 0) * Double(options.epochs - epoch + 1)
                var line = String(format: "epoch %d/%d batch %d/%d loss %.4f %.2f patches/s ETA %.0fs (run %@)",
                                  epoch, options.epochs, batch, options.batchesPerEpoch, lossSum / Double(batch), rate, eta,
                                  Trainer.duration(runETA))
                if let group { line += String(format: " (%d ranks, allreduce %.0f ms/step)", group.size, 1000 * allreduceSeconds / Double(steps)) }
                report(line)
                // Every rank stops after the same batch when any of them was asked to.
                let stop = shouldStop()
                if group?.any(stop) ?? stop { return false }
            }
            batchSeconds += Date().timeIntervalSince(t0)
            batchesDone += options.batchesPerEpoch
            let v0 = Date()
            let (valLoss, liver, lesion) = try validate { done, total in
                report(String(format: "epoch %d/%d validating case %d/%d", epoch, options.epochs, done + 1, total))
            }
            validationSeconds = Date().timeIntervalSince(v0)
            if let valLoss, !valLoss.isFinite {
                throw Divergence(epoch: epoch, batch: nil, what: "validation loss is \(valLoss.isNaN ? "NaN" : "infinite")")
            }
            model.setTraining(true)
            var record = EpochRecord(epoch: epoch, trainLoss: lossSum / Double(options.batchesPerEpoch), validationLoss: valLoss,
                                     diceLiver: liver, diceLesion: lesion, learningRate: Double(optimizer.learningRate),
                                     sampler: stats, seconds: Date().timeIntervalSince(t0))
            let score = record.score ?? -record.trainLoss
            let isBest = score > bestScore
            if isBest { bestScore = score }
            if options.lrSchedule != .poly { _ = scheduler.step(score) }
            record.learningRate = Double(optimizer.learningRate)
            history.append(record)
            try endOfEpoch(record, isBest)
        }
        return true
    }

    /// "42s", "12m 05s", "3h 07m".
    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds.isFinite ? seconds : 0).rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm %02ds", s / 60, s % 60) }
        return String(format: "%dh %02dm", s / 3600, s % 3600 / 60)
    }

    /// Training stopped at the first loss or weight that is not a finite number (too high a
    /// learning rate): nothing of that step or epoch is saved.
    public struct Divergence: Error, Equatable {
        public var epoch: Int
        /// nil: found in validation, after the epoch's batches.
        public var batch: Int?
        public var what: String
    }

    /// The name of the first weight or statistic holding a NaN or infinity, or nil.
    func firstNonFiniteValue() -> String? {
        for (name, p) in model.namedParameters where !p.value.data.allSatisfy(\.isFinite) { return name }
        for (name, b) in model.namedBuffers where !b.value.data.allSatisfy(\.isFinite) { return name }
        return nil
    }

    func lossFunction(_ probs: Tensor, _ target: Tensor, group: ProcessGroup? = nil) -> LossOutput {
        options.loss == .dice ? Losses.softDice(pred: probs, target: target, group: group)
            : Losses.jaccardDistance(pred: probs, target: target, group: group)
    }

    public var windowOptions: SlidingWindowOptions { options.inference.windowOptions }

    /// Whole validation volumes through the same sliding window as `lits predict`; mean per-case
    /// Dice of liver (label >= 1) and lesion (label 2) at 0.5. A case without lesions and a
    /// prediction without lesions gives NaN for the lesion and is left out of its mean.
    /// Data parallel: rank r validates cases r, r + N, ...; the sums and counts are added.
    func validate(progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> (Double?, Double?, Double?) {
        model.setTraining(false)
        var losses: [Double] = [], livers: [Double] = [], lesions: [Double] = []
        let ids = options.split.validation
        for (n, id) in ids.enumerated() where n % (group?.size ?? 1) == (group?.rank ?? 0) {
            progress(n, ids.count)
            let c = try trainingCase(id)
            guard let labels = c.labels else { continue }
            let probs = SlidingWindow.predict(channels: [c.image] + c.extraChannels, options: windowOptions) { self.model.forward($0) }
            let n = c.image.count, channels = targetChannels
            var target = Tensor(shape: [1, channels, 1, 1, n])
            var pred = Tensor(shape: [1, channels, 1, 1, n])
            for v in 0..<n {
                target.data[v] = labels.voxels[v] >= 1 ? 1 : 0
                pred.data[v] = probs[0].voxels[v]
                if channels == 2 {
                    target.data[n + v] = labels.voxels[v] == 2 ? 1 : 0
                    pred.data[n + v] = probs[1].voxels[v]
                }
            }
            losses.append(lossFunction(pred, target).value)
            let liver = probs[0].voxels
            livers.append(Dice.coefficient(count: n, predicted: { liver[$0] > 0.5 }, truth: { labels.voxels[$0] >= 1 }))
            guard channels == 2 else { continue }
            let lesion = probs[1].voxels
            let lesionDice = Dice.coefficient(count: n, predicted: { lesion[$0] > 0.5 }, truth: { labels.voxels[$0] == 2 })
            if !lesionDice.isNaN { lesions.append(lesionDice) }
        }
        var sums = [losses, livers, lesions].flatMap { [$0.reduce(0, +), Double($0.count)] }
        group?.sum(&sums)
        func mean(_ k: Int) -> Double? { sums[2 * k + 1] == 0 ? nil : sums[2 * k] / sums[2 * k + 1] }
        return (mean(0), mean(1), mean(2))
    }

    /// State for `--resume`: history, best score and scheduler, beside the optimizer's tensors.
    public struct ResumeState: Codable, Sendable {
        public var history: [EpochRecord]
        public var bestScore: Double
        public var scheduler: [String: String]
    }

    public var resumeState: ResumeState {
        ResumeState(history: history, bestScore: bestScore, scheduler: scheduler.stateMetadata())
    }

    public func restore(_ state: ResumeState, optimizerState: [String: Tensor]) throws {
        history = state.history
        bestScore = state.bestScore
        try scheduler.load(stateMetadata: state.scheduler)
        try optimizer.load(stateDict: optimizerState)
    }
}
