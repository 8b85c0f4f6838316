import Foundation
import LiTSCore
import LiTSAnalysis
import LiTSImaging

// Times the Swift side of benchmarks/compare.sh in-process, printing the same line format as
// benchmarks/peers/*.py:  NAME min_s=X median_s=Y n=N
//   lits-bench read FILE [--repeat N]
//   lits-bench preprocess FILE [--repeat N]
//   lits-bench eda VOLUME SEGMENTATION [--repeat N]
//   lits-bench equalize VOLUME [--repeat N]
//   lits-bench inflate FILE.nii.gz [--repeat N]      (libdeflate's inflate alone, into a warm buffer)
//   lits-bench write-gz FILE.nii OUT.nii.gz [--repeat N]   (the int16 volume written as .nii.gz)

func usage() -> Never {
    FileHandle.standardError.write(Data("usage: lits-bench read|preprocess FILE [--repeat N]\n".utf8))
    exit(2)
}

VolumeMemory.keepFreedBuffers()  // as the lits tool does
let args = CommandLine.arguments
guard args.count >= 3 else { usage() }
let task = args[1], file = args[2]
let repeats: Int = {
    if let r = args.firstIndex(of: "--repeat"), r + 1 < args.count, let n = Int(args[r + 1]), n > 0 { return n }
    return 5
}()

@MainActor func measure(_ name: String, _ body: () throws -> Void) rethrows {
    var times: [Double] = []
    for _ in 0..<repeats {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    times.sort()
    let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    print(name + String(format: " min_s=%.4f median_s=%.4f n=%d", times[0], median, repeats))
}

do {
    switch task {
    case "read":
        let name = URL(fileURLWithPath: file).lastPathComponent
        var last: Volume<Float>?
        try measure("read \(name)") { last = try NIfTIReader.readFloat(path: file).0 }
        // Outside the timing, as the peer does: the same sum proves the same values were read.
        print("checksum \(name) sum=\(last.map { checksum($0.voxels) } ?? 0)")
    case "inflate":
        let name = URL(fileURLWithPath: file).lastPathComponent
        let header = try NIfTIHeader.read(path: file)
        let count = header.dataOffset + header.shape.reduce(1, *) * NIfTIHeader.bytesPerVoxel(header.datatype)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: count)  // touched: time the inflate only
        var ok = true
        measure("inflate \(name)") { ok = GzipWhole.inflate(path: file, into: buffer, count: count) && ok }
        print("backend inflate=\(GzipWhole.backend) ok=\(ok)")
    case "write-gz":
        guard args.count >= 4 else { usage() }
        let out = args[3]
        let (v, source) = try NIfTIReader.readFloat(path: file)
        guard source.header.datatype == 4 else { throw LiTSError(.invalidArgument, path: file, "write-gz expects int16") }
        let volume = Volume(grid: v.grid, voxels: v.voxels.map { Int16($0) })
        try measure("write_gz level=\(GzipWhole.level)") { try NIfTIWriter.write(volume, to: out) }
        let size = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        print("backend write=\(GzipWhole.backend) bytes=\(size)")
    case "preprocess":
        let c = Case(id: "0", volumePath: file, segmentationPath: nil, layout: .file)
        // Stage by stage, to see where the time goes.
        let loaded = try CaseLoader.load(c)
        try measure("stage_read") { _ = try NIfTIReader.readFloat(path: file) }
        try measure("stage_load_reorient_check") { _ = try CaseLoader.load(c) }
        measure("stage_clip") { _ = loaded.ct.clipped(to: .liver) }
        let clipped = loaded.ct.clipped(to: .liver)
        let shape = Preprocessor.targetShape(for: loaded.grid, options: PreprocessOptions())
        measure("stage_resample_linear") { _ = Resampler.resample(clipped, to: shape, interpolation: .linear) }
        measure("stage_resample_cubic") { _ = Resampler.resample(clipped, to: shape, interpolation: .cubic) }
        let small = Resampler.resample(clipped, to: shape, interpolation: .linear)
        measure("stage_normalise") { _ = small.minMaxNormalized() }
        for interpolation in [Interpolation.linear, .cubic] {
            var options = PreprocessOptions()
            options.interpolation = interpolation
            // Whole path: read, reorient, clip, resample, normalise (the peer also includes its load).
            try measure("preprocess_\(interpolation.rawValue)") {
                let loaded = try CaseLoader.load(c)
                _ = Preprocessor.run(loaded, options: options)
            }
        }
    case "equalize":
        // Per-slice histogram equalization and CLAHE over every axial slice (load not timed),
        // as benchmarks/peers/equalization.py does with scikit-image.
        let (v, _) = try NIfTIReader.readFloat(path: file)
        // The checksums are taken outside the timing, as the peer does. The previous result is
        // freed before the next is made, so repeats after the first reuse its pages.
        var eq: [Float] = [], cl: [Float] = []
        measure("equalize_slices") { eq = []; eq = HistogramEqualization.perSlice(v, window: .liver).voxels }
        measure("clahe_slices") { cl = []; cl = CLAHE.perSlice(v, window: .liver, kernelSize: nil, clipLimit: 0.01, bins: 256).voxels }
        print("checksum equalize_slices sum=\(checksum(eq))")
        print("checksum clahe_slices sum=\(checksum(cl))")
    case "eda":
        guard args.count >= 4, !args[3].hasPrefix("--") else { usage() }
        let c = Case(id: "1", volumePath: file, segmentationPath: args[3], layout: .lits)
        var lesions = 0, liver = 0
        // The whole per-case statistics (load included), as the peer script computes them.
        try measure("eda_case") {
            let eda = CaseAnalyzer.analyze(try CaseLoader.load(c))
            lesions = eda.lesions.count
            liver = eda.labelVoxels[1] + eda.labelVoxels[2]
        }
        let loaded = try CaseLoader.load(c)
        let labels = loaded.labels!
        // Stage by stage, to see where the time goes.
        measure("stage_body_mask") { _ = BodyMask.compute(loaded.ct) }
        measure("stage_body_components") {
            _ = ConnectedComponents.label(shape: loaded.ct.shape, mask: above(loaded.ct.voxels, -500), connectivity: .twentySix)
        }
        measure("stage_liver_components") { _ = ConnectedComponents.label(labels, atLeast: 1, connectivity: .twentySix) }
        measure("components") {
            _ = ConnectedComponents.statistics(ConnectedComponents.label(labels, value: 2, connectivity: .twentySix))
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        print("summary lesions=\(lesions) liver_voxels=\(liver) peak_rss_mb=\(usage.ru_maxrss / 1024)")
    case "qa-duplicates":
        // The duplicate check of `lits qa` over 131 cases (the LiTS training set) once the
        // fingerprints exist: every pair matched over the 48 poses. The fingerprints are crops
        // and flips of this volume's, so most pairs overlap and take the slowest path (refined):
        // a worst case, as a real dataset has few near-duplicates.
        let (v, _) = try NIfTIReader.readFloat(path: file)
        let full = QAFingerprint(v)
        let related = (0..<131).map { n in benchCrop(full, seed: n) }
        // The same sizes with each fingerprint's cells scrambled (a fixed stride through them,
        // coprime with their count): pairs that do not match, the common case in a real dataset
        // (four 3D correlations each, no refinement).
        let distinct = related.enumerated().map { n, f in
            let count = f.values.count
            var stride = 7919 + 2 * n
            while gcd(stride, count) != 1 { stride += 1 }
            return QAFingerprint(shape: f.shape, values: (0..<count).map { f.values[($0 * stride + n) % count] })
        }
        var near: [String: Int] = [:]
        for (name, fingerprints) in [("related", related), ("distinct", distinct)] {
            measure("qa_duplicates_131_\(name)") {
                let prepared = fingerprints.map { QAFingerprintMatch.Prepared($0) }
                let pairs = (0..<130).flatMap { a in ((a + 1)..<131).map { (a, $0) } }
                nonisolated(unsafe) var scores = [Double](repeating: 0, count: pairs.count)
                scores.withUnsafeMutableBufferPointer { s in
                    nonisolated(unsafe) let s = s
                    Parallel.perform(iterations: pairs.count) { p in
                        s[p] = QAFingerprintMatch.match(prepared[pairs[p].0], prepared[pairs[p].1])?.score ?? -1
                    }
                }
                near[name] = scores.filter { $0 >= QADuplicates.nearDuplicateScore }.count
            }
        }
        print("summary fingerprint=\(full.shape) pairs=\(131 * 130 / 2) near_duplicates=\(near.sorted { $0.key < $1.key })")
    default:
        usage()
    }
} catch {
    FileHandle.standardError.write(Data("lits-bench: \(error)\n".utf8))
    exit(1)
}

/// A crop of a fingerprint, flipped along k for odd seeds: 131 distinct but related cases for the
/// duplicate benchmark. In-plane up to a quarter of each side is cut off; along z a window of
/// 400-470 mm (a typical LiTS scan's extent, 25-29 cells) at a position chosen from `seed`.
func benchCrop(_ f: QAFingerprint, seed: Int) -> QAFingerprint {
    let s = f.shape
    var lo = (0..<3).map { a in (seed * (7 + 3 * a)) % max(1, s[a] / 4) }
    var hi = (0..<3).map { a in s[a] - (seed * (5 + 2 * a)) % max(1, s[a] / 4) }
    let depth = min(s[2], 25 + seed % 5)
    lo[2] = (seed * 13) % max(1, s[2] - depth + 1)
    hi[2] = lo[2] + depth
    let shape = (0..<3).map { hi[$0] - lo[$0] }
    var values: [Int16] = []
    values.reserveCapacity(shape[0] * shape[1] * shape[2])
    for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] {
        let kk = seed % 2 == 1 ? hi[2] - 1 - k : lo[2] + k
        values.append(f.values[(lo[0] + i) + s[0] * ((lo[1] + j) + s[1] * kk)])
    } } }
    return QAFingerprint(shape: shape, values: values)
}


func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

// Per-voxel closures live in these top-level (nonisolated) functions, not in the closures given
// to `measure`: in the Swift 6 language mode those closures are main-actor isolated, and a
// closure formed there and called per element (reduce, map) paid a main-executor check per call
// (swift_task_isCurrentExecutor, with a retain and release): the checksum alone made
// equalize_slices and clahe_slices about 4 s slower (perf, 2026-12-07).

/// Sum of the values as float64 (the peers' `sum(dtype=np.float64)`).
func checksum(_ values: [Float]) -> Double { values.reduce(0.0) { $0 + Double($1) } }

/// values > threshold, one Bool per value.
func above(_ values: [Float], _ threshold: Float) -> [Bool] { values.map { $0 > threshold } }
