import Foundation
import LiTSCore
import LiTSImaging

/// What the QA checks measure on one case, computed once from the canonical volumes and the body
/// mask (the one the EDA computes). Saved as `data/qa/ID.json`, so the checks (pure functions of
/// these facts) and the duplicate search run again without reading the images.
public struct QACaseFacts: Codable, Equatable, Sendable {
    public var id: String
    public var volume: String
    /// Canonical (RAS+) shape and spacing; the file's own spacing and axis codes.
    public var shape: [Int]
    public var spacing: [Double]
    public var fileSpacing: [Double]
    public var fileOrientation: String
    public var voxelHash: String
    public var gridProblem: String?

    public var huMin: Double
    public var huMax: Double
    /// Voxels holding each padding value ("-2048", "-3024", and "other <= -1500").
    public var paddingVoxels: [String: Int]
    public var voxels: Int

    /// Body (see `BodyMask.rule`) on its main slices (area at least half the largest): median
    /// width (left-right) and depth (anterior-posterior) in mm, and whether it reaches the image's
    /// left/right or anterior/posterior border on them (then the size is a lower bound).
    public var bodyWidthMM: Double?
    public var bodyDepthMM: Double?
    public var bodyCutLeftRight: Bool
    public var bodyCutAnteriorPosterior: Bool
    /// The body's middle slice (k) and the mean i of the body on the liver's slices.
    public var bodyMiddleSlice: Int
    public var bodyCentreI: Double?
    /// Mean j of the body and of the bone in it (HU > 300) over the body's main slices: the spine
    /// and ribs lie posterior (low j in RAS+) of the body's centre.
    public var bodyCentreJ: Double?
    public var boneCentreJ: Double?

    public var hasLabels: Bool
    public var liverVoxels: Int
    public var tumorVoxels: Int
    public var liverML: Double
    public var liverExtentMM: Double?
    public var liverTouches: [String]
    public var liverCentroid: [Double]?
    /// Liver components other than the largest (26-connected), largest first: mL and centroid k.
    public var liverFragmentsML: [Double]
    public var liverFragmentSlice: Int?
    /// Share of labelled voxels (label >= 1) outside the body mask, and the slice with most of them.
    public var labelOutsideBody: Double?
    public var labelOutsideBodySlice: Int?
    /// Share of liver voxels at HU < -200 (air, lung) or > 500 (bone): a label not over its organ.
    public var liverOffTissue: Double?
    public var liverMedianHU: Double?
    public var lesions: Int
    /// Lesion components of one or two voxels.
    public var tinyLesions: Int
    /// Tumour components touching no liver voxel (26-neighbours): voxels and the slice through the largest.
    public var isolatedTumorVoxels: Int
    public var isolatedTumorComponents: Int
    public var isolatedTumorSlice: Int?

    public var fingerprint: QAFingerprint

    public var liverCentreSlice: Int? { liverCentroid.map { Int($0[2].rounded()) } }
    public var liverCentreJ: Int? { liverCentroid.map { Int($0[1].rounded()) } }
}

public enum QAMeasure {
    public static let paddingValues: [Float] = [-2048, -3024]

    public static func facts(_ q: QALoad.Loaded, body: [Bool]) -> QACaseFacts {
        let c = q.loaded, ct = c.ct, grid = ct.grid, shape = grid.shape, sp = grid.spacing
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        let plane = nx * ny

        // HU range and padding values.
        var lo = Float.infinity, hi = -Float.infinity
        var pad2048 = 0, pad3024 = 0, padOther = 0
        ct.voxels.withUnsafeBufferPointer { v in
            for x in v {
                if x < lo { lo = x }
                if x > hi { hi = x }
                if x <= -1500 {
                    if x == -2048 { pad2048 += 1 } else if x == -3024 { pad3024 += 1 } else { padOther += 1 }
                }
            }
        }

        // Body size per slice: the 90th percentile of the body's voxel count per row (width) and
        // per column (depth), so a thin table joined to the body adds little, and its bounding box.
        var area = [Int](repeating: 0, count: nz)
        var iMin = [Int](repeating: Int.max, count: nz), iMax = [Int](repeating: -1, count: nz)
        var jMin = [Int](repeating: Int.max, count: nz), jMax = [Int](repeating: -1, count: nz)
        var iSum = [Double](repeating: 0, count: nz)
        var rowWidth = [Double](repeating: 0, count: nz), columnDepth = [Double](repeating: 0, count: nz)
        var jSum = [Double](repeating: 0, count: nz), boneJSum = [Double](repeating: 0, count: nz)
        var bone = [Int](repeating: 0, count: nz)
        func p90(_ counts: [Int]) -> Double {
            let c = counts.filter { $0 > 0 }.sorted()
            return c.isEmpty ? 0 : Double(c[min(c.count - 1, Int(0.9 * Double(c.count)))])
        }
        body.withUnsafeBufferPointer { b in
          ct.voxels.withUnsafeBufferPointer { v in
            Parallel.perform(iterations: nz) { k in
                var a = 0, i0 = Int.max, i1 = -1, j0 = Int.max, j1 = -1, s = 0.0, sj = 0.0, bj = 0.0, nb = 0
                var rows = [Int](repeating: 0, count: ny), columns = [Int](repeating: 0, count: nx)
                for j in 0..<ny {
                    let row = k * plane + j * nx
                    for i in 0..<nx where b[row + i] {
                        a += 1; s += Double(i); sj += Double(j)
                        if v[row + i] > 300 { bj += Double(j); nb += 1 }
                        rows[j] += 1; columns[i] += 1
                        if i < i0 { i0 = i }; if i > i1 { i1 = i }
                        if j < j0 { j0 = j }; if j > j1 { j1 = j }
                    }
                }
                area[k] = a; iMin[k] = i0; iMax[k] = i1; jMin[k] = j0; jMax[k] = j1; iSum[k] = s
                rowWidth[k] = p90(rows); columnDepth[k] = p90(columns)
                jSum[k] = sj; boneJSum[k] = bj; bone[k] = nb
            }
          }
        }
        let maxArea = area.max() ?? 0
        let main = (0..<nz).filter { maxArea > 0 && area[$0] * 2 >= maxArea }
        func median(_ x: [Double]) -> Double? {
            guard !x.isEmpty else { return nil }
            let s = x.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let width = median(main.map { rowWidth[$0] * sp[0] })
        let depth = median(main.map { columnDepth[$0] * sp[1] })
        let cutLR = main.contains { iMin[$0] == 0 || iMax[$0] == nx - 1 }
        let cutAP = main.contains { jMin[$0] == 0 || jMax[$0] == ny - 1 }
        let middle = main.isEmpty ? nz / 2 : main[main.count / 2]

        let mainArea = main.reduce(0) { $0 + area[$1] }, mainBone = main.reduce(0) { $0 + bone[$1] }
        let bodyJ = mainArea > 0 ? main.reduce(0.0) { $0 + jSum[$1] } / Double(mainArea) : nil
        let boneJ = mainBone > 0 ? main.reduce(0.0) { $0 + boneJSum[$1] } / Double(mainBone) : nil
        var f = QACaseFacts(
            id: c.info.id, volume: c.info.volumePath, shape: shape, spacing: sp, fileSpacing: c.source.grid.spacing,
            fileOrientation: c.source.grid.axisCodes, voxelHash: q.voxelHash, gridProblem: q.gridProblem,
            huMin: Double(lo), huMax: Double(hi), paddingVoxels: ["-2048": pad2048, "-3024": pad3024, "other <= -1500": padOther],
            voxels: ct.count, bodyWidthMM: width, bodyDepthMM: depth, bodyCutLeftRight: cutLR, bodyCutAnteriorPosterior: cutAP,
            bodyMiddleSlice: middle, bodyCentreI: nil, bodyCentreJ: bodyJ, boneCentreJ: boneJ, hasLabels: c.labels != nil, liverVoxels: 0, tumorVoxels: 0, liverML: 0,
            liverExtentMM: nil, liverTouches: [], liverCentroid: nil, liverFragmentsML: [], liverFragmentSlice: nil,
            labelOutsideBody: nil, labelOutsideBodySlice: nil, liverOffTissue: nil, liverMedianHU: nil, lesions: 0,
            tinyLesions: 0, isolatedTumorVoxels: 0, isolatedTumorComponents: 0, isolatedTumorSlice: nil,
            fingerprint: QAFingerprint(ct))
        guard let labels = c.labels else { return f }
        measureLabels(&f, ct: ct, labels: labels, body: body, bodyISum: iSum, bodyArea: area)
        return f
    }

    static func measureLabels(_ f: inout QACaseFacts, ct: Volume<Float>, labels: LabelMap, body: [Bool],
                              bodyISum: [Double], bodyArea: [Int]) {
        let grid = ct.grid, shape = grid.shape
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        let plane = nx * ny
        var outside = [Int](repeating: 0, count: nz)
        var sum = [0.0, 0.0, 0.0]
        var liver = 0, tumor = 0, off = 0
        var hist = [Int](repeating: 0, count: 6144)  // 1-HU bins over [-2048, 4096)
        var kLo = Int.max, kHi = -1
        labels.voxels.withUnsafeBufferPointer { l in
            ct.voxels.withUnsafeBufferPointer { v in
                body.withUnsafeBufferPointer { b in
                    for k in 0..<nz {
                        var n = k * plane
                        for j in 0..<ny {
                            for i in 0..<nx {
                                let lab = l[n]
                                if lab >= 1 {
                                    liver += 1
                                    if lab == 2 { tumor += 1 }
                                    if !b[n] { outside[k] += 1 }
                                    sum[0] += Double(i); sum[1] += Double(j); sum[2] += Double(k)
                                    if k < kLo { kLo = k }; if k > kHi { kHi = k }
                                    let x = v[n]
                                    if x < -200 || x > 500 { off += 1 }
                                    hist[min(6143, max(0, HUHistogram.floorInt(x) + 2048))] += 1
                                }
                                n += 1
                            }
                        }
                    }
                }
            }
        }
        f.liverVoxels = liver
        f.tumorVoxels = tumor
        f.liverML = Double(liver) * grid.voxelVolumeML
        guard liver > 0 else { return }
        f.liverExtentMM = Double(kHi - kLo + 1) * grid.spacing[2]
        f.liverTouches = CaseAnalyzer.touchedFaces(labels) { $0 >= 1 }
        f.liverCentroid = sum.map { $0 / Double(liver) }
        let outsideTotal = outside.reduce(0, +)
        f.labelOutsideBody = Double(outsideTotal) / Double(liver)
        if outsideTotal > 0 { f.labelOutsideBodySlice = outside.indices.max { outside[$0] < outside[$1] } }
        f.liverOffTissue = Double(off) / Double(liver)
        var acc = 0
        for (b, count) in hist.enumerated() {
            acc += count
            if 2 * acc >= liver { f.liverMedianHU = Double(b - 2048) + 0.5; break }
        }
        // Body centre (mean i) over the liver's slices.
        var bi = 0.0, ba = 0
        for k in kLo...kHi { bi += bodyISum[k]; ba += bodyArea[k] }
        if ba > 0 { f.bodyCentreI = bi / Double(ba) }

        // Liver components.
        let liverCC = ConnectedComponents.label(labels, atLeast: 1, connectivity: .twentySix)
        let stats = ConnectedComponents.statistics(liverCC).sorted { $0.voxelCount > $1.voxelCount }
        f.liverFragmentsML = stats.dropFirst().map { Double($0.voxelCount) * grid.voxelVolumeML }
        if stats.count > 1 { f.liverFragmentSlice = Int(stats[1].centroid[2].rounded()) }

        // Lesions: tiny ones, and those touching no liver voxel.
        guard tumor > 0 else { return }
        let cc = ConnectedComponents.label(labels, value: Label.tumor, connectivity: .twentySix)
        let tstats = ConnectedComponents.statistics(cc)
        f.lesions = tstats.count
        f.tinyLesions = tstats.filter { $0.voxelCount <= 2 }.count
        var touches = [Bool](repeating: false, count: cc.count + 1)
        labels.voxels.withUnsafeBufferPointer { l in
            cc.labels.withUnsafeBufferPointer { cl in
                for k in 0..<nz { for j in 0..<ny { for i in 0..<nx {
                    let n = i + nx * (j + ny * k)
                    guard l[n] == 1 else { continue }
                    for dk in -1...1 { let kk = k + dk; guard kk >= 0, kk < nz else { continue }
                        for dj in -1...1 { let jj = j + dj; guard jj >= 0, jj < ny else { continue }
                            for di in -1...1 { let ii = i + di; guard ii >= 0, ii < nx else { continue }
                                let t = cl[ii + nx * (jj + ny * kk)]
                                if t > 0 { touches[Int(t)] = true }
                            } } }
                } } }
            }
        }
        let isolated = tstats.filter { !touches[Int($0.label)] }.sorted { $0.voxelCount > $1.voxelCount }
        f.isolatedTumorComponents = isolated.count
        f.isolatedTumorVoxels = isolated.reduce(0) { $0 + $1.voxelCount }
        f.isolatedTumorSlice = isolated.first.map { Int($0.centroid[2].rounded()) }
    }
}
