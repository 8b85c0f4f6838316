import ArgumentParser
import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet
import LiTSTraining

/// Set by SIGINT; the training loop polls it after every batch.
nonisolated(unsafe) var interruptRequested = false

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the baseline 3D U-Net (liver and lesion outputs) with liver-biased patch sampling.",
        discussion: """
        DATA is a `lits preprocess` folder, or a raw dataset (preprocessed into RUN/preprocessed with \
        --window/--size/--slice-spacing, linear interpolation, and reused on --resume). The run folder gets \
        config.json, history.csv, best.safetensors and last.safetensors (with their model config \
        JSON), charts and index.md. Ctrl-C stops after the current batch and saves \
        RUN/interrupted.safetensors; --resume continues from the last finished epoch, with the same \
        patches an uninterrupted run would have drawn.
        """)

    @Argument(help: "Preprocessed folder or raw dataset.")
    var data: String?

    @Option(name: .shortAndLong, help: "Run folder (created).")
    var out: String?

    @Option(help: "Continue the run in this folder (its config.json holds every option).")
    var resume: String?

    @Option(help: "Patch W,H,D (baseline 168,168,16).")
    var patch = "168,168,16"

    @Option(help: "Filters per level (baseline 64,128,256,256; CPU-sized 16,32,64,128).")
    var filters = "16,32,64,128"

    @Option(help: "Volumes loaded per batch.")
    var volumesPerBatch = 3

    @Option(help: "Patches taken from each volume of a batch.")
    var patchesPerVolume = 4

    @Option(help: "Epochs.")
    var epochs = 20

    @Option(help: "Batches per epoch.")
    var batchesPerEpoch = 50

    @Option(help: "uniform (the baseline: random slab along z) or liver-biased.")
    var sampling = "liver-biased"

    @Option(help: "Liver-biased sampling: probability of centring a patch on a random liver voxel.")
    var pLiver = 0.4

    @Option(help: "Liver-biased sampling: probability of centring a patch on a random lesion voxel.")
    var pLesion = 0.3

    @Option(help: "jaccard (the baseline's Jaccard distance) or dice.")
    var loss = "jaccard"

    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-3

    @Option(help: "ReduceLROnPlateau factor on the validation Dice.")
    var lrFactor = 0.5

    @Option(help: "ReduceLROnPlateau patience (epochs).")
    var lrPatience = 3

    @Option(help: "Spatial dropout probability (0: none; resume is bit-exact only without dropout).")
    var dropout: Float = 0

    @Flag(help: "Add residual 1x1x1 paths to every block.")
    var residual = false

    @Option(help: "Sliding-window overlap for validation.")
    var overlap = 0.5

    @Option(help: "JSON file {\"train\": [...], \"validation\": [...], \"test\": [...]} of case ids (default: seeded 60/20/20 shuffle).")
    var split: String?

    @Option(help: "Seed for the split, initial weights and every random choice.")
    var seed: UInt64 = 0

    @Option(parsing: .unconditional, help: "Raw DATA only: HU window L,H for the on-the-fly preprocessing.")
    var window = "-100,400"

    @Option(help: "Raw DATA only: in-plane size after resampling, NX or NXxNY.")
    var size = "168"

    @Option(help: "Raw DATA only: slice spacing in mm after resampling.")
    var sliceSpacing = 2.0

    @Option(help: "Worker threads (each calls single-threaded OpenBLAS).")
    var threads = 2

    func validate() throws {
        guard (data != nil && out != nil) || resume != nil else { throw ValidationError("give DATA and --out, or --resume RUN") }
        guard parseInts(patch)?.count == 3 else { throw ValidationError("--patch must be W,H,D") }
        guard let f = parseInts(filters), f.count >= 2 else { throw ValidationError("--filters needs at least two levels") }
        guard ["uniform", "liver-biased"].contains(sampling) else { throw ValidationError("--sampling must be uniform or liver-biased") }
        guard (0...1).contains(pLiver), (0...1).contains(pLesion), pLiver + pLesion <= 1 else { throw ValidationError("--p-liver and --p-lesion must be probabilities summing to at most 1") }
        guard ["jaccard", "dice"].contains(loss) else { throw ValidationError("--loss must be jaccard or dice") }
        guard epochs >= 1, batchesPerEpoch >= 1, volumesPerBatch >= 1, patchesPerVolume >= 1 else { throw ValidationError("epochs, batches and patch counts must be at least 1") }
        guard (0..<1).contains(overlap) else { throw ValidationError("--overlap must be in [0, 1)") }
        guard HUWindow(parsing: window) != nil else { throw ValidationError("--window must be L,H with L < H") }
        guard Preprocess.parseSize(size) != nil else { throw ValidationError("--size must be N or NXxNY") }
        guard sliceSpacing > 0 else { throw ValidationError("--slice-spacing must be positive") }
    }

    func parseInts(_ s: String) -> [Int]? {
        let v = s.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return v.count == s.split(separator: ",").count && v.allSatisfy({ $0 > 0 }) ? v : nil
    }

    func run() throws {
        try runReportingErrors {
            NetThreads.workers = threads
            let run: RunFolder
            var options: TrainOptions
            let dataset: PreprocessedDataset
            if let resume {
                run = RunFolder(resume)
                options = try run.readConfig()
                dataset = try PreprocessedDataset(folder: options.dataFolder)
            } else {
                run = RunFolder(out!)
                try OutputFolder.prepare(out!, inputs: [data!], marker: "config.json")
                var pre = PreprocessOptions()
                pre.window = HUWindow(parsing: window)!
                pre.inPlaneSize = Preprocess.parseSize(size)!
                pre.sliceSpacing = sliceSpacing
                dataset = try Train.preparedData(data!, run: run, options: pre)
                options = TrainOptions()
                let p = parseInts(patch)!
                options.patch = PatchSize(d: p[2], h: p[1], w: p[0])
                options.model.filters = parseInts(filters)!
                options.model.dropout = dropout
                options.model.residual = residual
                options.model.seed = seed
                options.volumesPerBatch = volumesPerBatch
                options.patchesPerVolume = patchesPerVolume
                options.epochs = epochs
                options.batchesPerEpoch = batchesPerEpoch
                options.sampling = sampling == "uniform" ? .uniform : .liverBiased(pLiver: pLiver, pLesion: pLesion)
                options.loss = loss
                options.learningRate = lr
                options.lrFactor = lrFactor
                options.lrPatience = lrPatience
                options.overlap = overlap
                options.seed = seed
                options.preprocessing = dataset.manifest.options
                options.dataFolder = dataset.folder
                options.split = try split.map(Train.readSplit) ?? DataSplit.seeded(ids: dataset.ids, seed: seed)
                if let problem = options.model.problem(withInput: [1, 1, p[2], p[1], p[0]]) {
                    throw LiTSError(.invalidArgument, path: nil, "--patch: \(problem)")
                }
                try run.writeConfig(options)
            }
            if !options.split.isHeldOut {
                printWarning("fewer than three cases: the same case(s) train and validate; the Dice shows learning, not generalisation")
            }
            let trainer = Trainer(options: options, data: dataset)
            if resume != nil { try run.restore(into: trainer) }
            signal(SIGINT) { _ in interruptRequested = true }
            let live = isatty(STDERR_FILENO) == 1
            var lastLine = Date.distantPast
            let finished = try trainer.train(shouldStop: { interruptRequested }, report: { line in
                if live { FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8)) }
                else if Date().timeIntervalSince(lastLine) > 10 { FileHandle.standardError.write(Data("\(line)\n".utf8)); lastLine = Date() }
            }, endOfEpoch: { record, isBest in
                if live { FileHandle.standardError.write(Data("\n".utf8)) }
                try run.save(trainer, isBest: isBest)
                print(String(format: "epoch %d: train loss %.4f, Dice liver %@, lesion %@, lr %.2g%@", record.epoch, record.trainLoss,
                             record.diceLiver.map { String(format: "%.3f", $0) } ?? "-", record.diceLesion.map { String(format: "%.3f", $0) } ?? "-",
                             record.learningRate, isBest ? " (best)" : ""))
            })
            if !finished {
                try run.saveInterrupted(trainer)
                printWarning("interrupted: saved \(run.path)/interrupted.safetensors; `lits train --resume \(run.path)` continues from the last finished epoch")
                throw ExitCode(130)
            }
            print("run: \(run.path)/index.md")
        }
    }

    /// A preprocessed folder as it is, or a raw dataset preprocessed into RUN/preprocessed.
    static func preparedData(_ path: String, run: RunFolder, options: PreprocessOptions) throws -> PreprocessedDataset {
        if FileManager.default.fileExists(atPath: "\(path)/\(PreprocessManifest.fileName)") {
            return try PreprocessedDataset(folder: path)
        }
        let cache = "\(run.path)/preprocessed"
        if FileManager.default.fileExists(atPath: "\(cache)/\(PreprocessManifest.fileName)") { return try PreprocessedDataset(folder: cache) }
        let cases = try Dataset.discover(path).filter { $0.segmentationPath != nil }
        guard !cases.isEmpty else { throw LiTSError(.noCases, path: path, "no cases with a segmentation to train on") }
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let (written, failures) = try preprocessCases(cases, options: options, into: cache, threads: 2)
        for (_, message) in failures { printError(message) }
        guard written > 0 else { throw LiTSError(.noCases, path: path, "no case could be preprocessed for training") }
        return try PreprocessedDataset(folder: cache)
    }

    static func readSplit(_ path: String) throws -> DataSplit {
        guard let data = FileManager.default.contents(atPath: path) else { throw LiTSError(.notFound, path: path, "no such split file") }
        do { return try JSONDecoder().decode(DataSplit.self, from: data) } catch {
            throw LiTSError(.corrupt, path: path, "not a split file {\"train\": [...], \"validation\": [...], \"test\": [...]}")
        }
    }
}
