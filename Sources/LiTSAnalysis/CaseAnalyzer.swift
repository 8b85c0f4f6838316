import Foundation
import LiTSCore
import LiTSImaging

/// Computes a case's EDA statistics from its canonical volumes.
public enum CaseAnalyzer {
    /// `body`: the case's `BodyMask` when the caller has it already (the QA checks share it).
    public static func analyze(_ c: LoadedCase, connectivity: Connectivity = .twentySix, body: [Bool]? = nil) -> CaseEDA {
        let ct = c.ct
        let grid = ct.grid
        let n = ct.count
        let body = body ?? BodyMask.compute(ct)

        // Histograms of the three classes (tumor is inside liver, liver mostly inside body).
        // The body pass (most voxels) runs beside the liver and tumor passes on the second core.
        var hBody = HUHistogram(), hLiver = HUHistogram(), hTumor = HUHistogram()
        ct.voxels.withUnsafeBufferPointer { v in
            body.withUnsafeBufferPointer { b in
                let labelVoxels = c.labels?.voxels ?? []
                labelVoxels.withUnsafeBufferPointer { l in
                    Parallel.perform(iterations: 2) { part in
                        if part == 0 {
                            hBody.add(v) { b[$0] }
                        } else if !l.isEmpty {
                            hLiver.add(v) { l[$0] >= 1 }
                            hTumor.add(v) { l[$0] == 2 }
                        }
                    }
                }
            }
        }
        func collect(_ inClass: @escaping (Int) -> Bool) -> (Set<Int>) -> [Float] {
            { bins in
                var out: [Float] = []
                ct.voxels.withUnsafeBufferPointer { v in
                    for i in 0..<n where inClass(i) && bins.contains(HUHistogram.bin(of: v[i])) { out.append(v[i]) }
                }
                return out
            }
        }
        var hu: [String: IntensityStats] = [:]
        hu["body"] = IntensityStats(histogram: hBody, collect: collect { body[$0] })
        if let labels = c.labels {
            hu["liver"] = IntensityStats(histogram: hLiver, collect: collect { labels.voxels[$0] >= 1 })
            hu["tumor"] = IntensityStats(histogram: hTumor, collect: collect { labels.voxels[$0] == 2 })
        }

        let counts = c.labels.map { Array($0.labelCounts().prefix(3)) } ?? [n, 0, 0]
        let voxelML = grid.voxelVolumeML
        let liverML = Double(counts[1] + counts[2]) * voxelML
        let tumorML = Double(counts[2]) * voxelML
        let extent = c.labels.flatMap { LiverExtent(labels: $0) }

        var liverComponents = 0
        var largestFraction: Double?
        var lesions: [Lesion] = []
        if let labels = c.labels, counts[1] + counts[2] > 0 {
            let liverCC = ConnectedComponents.label(labels, atLeast: 1, connectivity: .twentySix)
            liverComponents = liverCC.count
            let sizes = ConnectedComponents.statistics(liverCC).map(\.voxelCount)
            largestFraction = Double(sizes.max() ?? 0) / Double(counts[1] + counts[2])
            lesions = lesionTable(ct: ct, labels: labels, extent: extent, connectivity: connectivity)
        }

        let src = c.source.grid
        return CaseEDA(
            id: c.info.id, volume: c.info.volumePath, segmentation: c.info.segmentationPath,
            shape: src.shape, spacing: src.spacing, orientation: src.axisCodes, datatype: c.source.datatypeName,
            canonicalShape: grid.shape, canonicalSpacing: grid.spacing, slices: grid.shape[2],
            sliceThicknessMM: grid.spacing[2], hasLabels: c.labels != nil, labelVoxels: counts,
            liverML: liverML, tumorML: tumorML, tumorBurden: liverML > 0 ? tumorML / liverML : nil,
            liverExtent: extent, liverExtentMM: extent.map { Double($0.slices) * grid.spacing[2] },
            liverTouches: c.labels.map { touchedFaces($0) { $0 >= 1 } } ?? [],
            tumorTouches: c.labels.map { touchedFaces($0) { $0 == 2 } } ?? [],
            liverComponents: liverComponents, liverLargestComponentFraction: largestFraction,
            hu: hu, histograms: ["body": hBody, "liver": hLiver, "tumor": hTumor].filter { $0.value.count > 0 },
            lesions: lesions, connectivity: connectivity.rawValue)
    }

    /// Faces of the canonical grid that a label touches.
    static func touchedFaces(_ labels: LabelMap, _ test: (UInt8) -> Bool) -> [String] {
        let (nx, ny, nz) = (labels.shape[0], labels.shape[1], labels.shape[2])
        var faces: [String] = []
        func any(_ range: [(Int, Int, Int)]) -> Bool { range.contains { test(labels[$0.0, $0.1, $0.2]) } }
        func face(axis: Int, at index: Int) -> Bool {
            switch axis {
            case 0: for k in 0..<nz { for j in 0..<ny where test(labels[index, j, k]) { return true } }
            case 1: for k in 0..<nz { for i in 0..<nx where test(labels[i, index, k]) { return true } }
            default: for j in 0..<ny { for i in 0..<nx where test(labels[i, j, index]) { return true } }
            }
            return false
        }
        // Canonical RAS+: i = 0 is the patient's left, j = 0 posterior, k = 0 inferior.
        if face(axis: 2, at: 0) { faces.append("inferior") }
        if face(axis: 2, at: nz - 1) { faces.append("superior") }
        if face(axis: 0, at: 0) { faces.append("left") }
        if face(axis: 0, at: nx - 1) { faces.append("right") }
        if face(axis: 1, at: 0) { faces.append("posterior") }
        if face(axis: 1, at: ny - 1) { faces.append("anterior") }
        _ = any
        return faces
    }

    /// One row per 3D component of label 2.
    static func lesionTable(ct: Volume<Float>, labels: LabelMap, extent: LiverExtent?, connectivity: Connectivity) -> [Lesion] {
        let cc = ConnectedComponents.label(labels, value: Label.tumor, connectivity: connectivity)
        guard cc.count > 0 else { return [] }
        let grid = ct.grid
        let sp = grid.spacing
        let depth = liverDepth(labels)
        let (nx, ny) = (grid.shape[0], grid.shape[1])
        return ConnectedComponents.statistics(cc).map { s in
            var sum = 0.0, sumSq = 0.0
            var bestDiameter = 0.0, bestSlice = s.bboxMin[2], slicesWithVoxels = 0
            for k in s.bboxMin[2]...s.bboxMax[2] {
                var section: [(Int, Int)] = []
                for j in s.bboxMin[1]...s.bboxMax[1] {
                    for i in s.bboxMin[0]...s.bboxMax[0] where cc.labels[i + nx * (j + ny * k)] == s.label {
                        let v = Double(ct[i, j, k])
                        sum += v; sumSq += v * v
                        section.append((i, j))
                    }
                }
                guard !section.isEmpty else { continue }
                slicesWithVoxels += 1
                let d = PlaneGeometry.longestDiameter(pixels: section, spacing: (sp[0], sp[1]))
                if d > bestDiameter { bestDiameter = d; bestSlice = k }
            }
            let count = Double(s.voxelCount)
            let mean = sum / count
            let volume = count * grid.voxelVolumeML
            let c = s.centroid
            let world = grid.affine.apply((c[0], c[1], c[2]))
            let ci = (0..<3).map { min(grid.shape[$0] - 1, max(0, Int(c[$0].rounded()))) }
            return Lesion(
                id: Int(s.label), voxels: s.voxelCount, volumeML: volume,
                equivalentDiameterMM: pow(6 * volume * 1000 / Double.pi, 1.0 / 3),
                extentMM: (0..<3).map { Double(s.bboxMax[$0] - s.bboxMin[$0] + 1) * sp[$0] },
                slices: slicesWithVoxels, maxInPlaneDiameterMM: bestDiameter, maxInPlaneSlice: bestSlice,
                centroidVoxel: c, centroidWorldMM: [world.0, world.1, world.2],
                meanHU: mean, stdHU: max(0, sumSq / count - mean * mean).squareRoot(),
                region: extent?.region(ofSlice: c[2]),
                depthMM: depth.map { Double($0(ci[0], ci[1], ci[2])) })
        }
    }

    /// Distance (mm) from each liver voxel to the nearest non-liver voxel, computed on the liver's
    /// bounding box plus a one-voxel margin (outside the image counts as outside the liver).
    static func liverDepth(_ labels: LabelMap) -> ((Int, Int, Int) -> Float)? {
        let shape = labels.shape
        var lo = shape, hi = [-1, -1, -1]
        labels.voxels.withUnsafeBufferPointer { p in
            var n = 0
            for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] {
                if p[n] >= 1 {
                    if i < lo[0] { lo[0] = i }; if j < lo[1] { lo[1] = j }; if k < lo[2] { lo[2] = k }
                    if i > hi[0] { hi[0] = i }; if j > hi[1] { hi[1] = j }; if k > hi[2] { hi[2] = k }
                }
                n += 1
            } } }
        }
        guard hi[0] >= 0 else { return nil }
        let origin = lo.map { $0 - 1 }
        let cropShape = (0..<3).map { hi[$0] - lo[$0] + 3 }
        var mask = [Bool](repeating: false, count: cropShape.reduce(1, *))
        for k in lo[2]...hi[2] { for j in lo[1]...hi[1] { for i in lo[0]...hi[0] where labels[i, j, k] >= 1 {
            mask[(i - origin[0]) + cropShape[0] * ((j - origin[1]) + cropShape[1] * (k - origin[2]))] = true
        } } }
        let d = DistanceTransform.edt(shape: cropShape, spacing: labels.grid.spacing, mask: mask)
        return { i, j, k in
            let (a, b, c) = (i - origin[0], j - origin[1], k - origin[2])
            guard a >= 0, b >= 0, c >= 0, a < cropShape[0], b < cropShape[1], c < cropShape[2] else { return 0 }
            return d[a + cropShape[0] * (b + cropShape[1] * c)]
        }
    }
}
