import Foundation
import LiTSCore
import LiTSImaging
import LiTSEvaluation
import LiTSAnalysis

/// Connected components (`connectivity` 6, 18 or 26) of the voxels of `values` that are non-zero
/// (`value` < 0) or equal to `value`. Labels go into `labels` (Int32, 0 background, 1...N in the
/// order of each component's first voxel); N into `countOut`; the statistics into a malloc'd
/// array of N rows of 10 Doubles (voxel count, bounding box min i j k, max i j k inclusive,
/// centroid i j k) in `statsOut` (NULL when N is 0).
@_cdecl("litskit_components")
public func litskit_components(_ values: UnsafePointer<UInt8>?, _ shapeIn: UnsafePointer<Int64>?, _ connectivity: Int32, _ value: Int32,
                               _ labels: UnsafeMutablePointer<Int32>?, _ countOut: UnsafeMutablePointer<Int64>?,
                               _ statsOut: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?,
                               _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let shape = try checkedShape(shapeIn)
        guard let c = Connectivity(rawValue: Int(connectivity)) else {
            throw LiTSError(.invalidArgument, path: nil, "connectivity \(connectivity) must be 6, 18 or 26")
        }
        guard let labels, let countOut, let statsOut else { throw LiTSError(.invalidArgument, path: nil, "no output buffers given") }
        let input = try array(values, shape.reduce(1, *), "volume")
        let target = value
        let result = ConnectedComponents.label(shape: shape, values: input, connectivity: c) { target < 0 ? $0 != 0 : Int32($0) == target }
        result.labels.withUnsafeBufferPointer { labels.update(from: $0.baseAddress!, count: $0.count) }
        countOut.pointee = Int64(result.count)
        statsOut.pointee = nil
        guard result.count > 0 else { return }
        let stats = ConnectedComponents.statistics(result)
        guard let rows = malloc(stats.count * 10 * MemoryLayout<Double>.stride)?.assumingMemoryBound(to: Double.self) else {
            throw LiTSError(.invalidArgument, path: nil, "out of memory for \(stats.count) components' statistics")
        }
        for (n, s) in stats.enumerated() {
            let row = [Double(s.voxelCount)] + s.bboxMin.map(Double.init) + s.bboxMax.map(Double.init) + s.centroid
            for (m, v) in row.enumerated() { rows[10 * n + m] = v }
        }
        statsOut.pointee = rows
    }
}

/// Two label maps of one shape, as masks.
func masks(_ pred: UnsafePointer<UInt8>?, _ truth: UnsafePointer<UInt8>?, _ count: Int) throws -> ([UInt8], [UInt8]) {
    (try array(pred, count, "prediction"), try array(truth, count, "truth"))
}

/// What `lits evaluate` reports for one structure (`StructureMetrics`: Dice, Jaccard, VOE, RVD,
/// ASSD, Hausdorff, HD95, NSD at `nsdTolerance` mm) of two masks (non-zero = inside). The surface
/// distances use medpy's erosion `connectivity` (1, its default and the CLI's; 2 or 3).
@_cdecl("litskit_metrics")
public func litskit_metrics(_ pred: UnsafePointer<UInt8>?, _ truth: UnsafePointer<UInt8>?, _ shapeIn: UnsafePointer<Int64>?,
                            _ spacingIn: UnsafePointer<Double>?, _ nsdTolerance: Double, _ connectivity: Int32,
                            _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                            _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let shape = try checkedShape(shapeIn), spacing = try checkedSpacing(spacingIn)
        guard nsdTolerance >= 0 && nsdTolerance.isFinite else {
            throw LiTSError(.invalidArgument, path: nil, "NSD tolerance \(nsdTolerance) must be a finite value >= 0 (mm)")
        }
        guard (1...3).contains(connectivity) else { throw LiTSError(.invalidArgument, path: nil, "connectivity \(connectivity) must be 1, 2 or 3") }
        let (p, t) = try masks(pred, truth, shape.reduce(1, *))
        let pm = p.map { $0 != 0 }, tm = t.map { $0 != 0 }
        var m = StructureMetrics(pred: pm, truth: tm, shape: shape, spacing: spacing, nsdTolerance: nsdTolerance)
        if connectivity != 1, let d = Metrics.surfaceDistances(pred: pm, truth: tm, shape: shape, spacing: spacing, connectivity: Int(connectivity)) {
            m.assd = d.assd; m.hausdorff = d.hausdorff; m.hd95 = d.hd95
        }
        try returnJSON(m, json)
    }
}

/// The official LiTS scoring program's per-case scores (`LiTSCaseScores`) of two label maps
/// (0 background, 1 liver, 2 lesion).
@_cdecl("litskit_lits_scores")
public func litskit_lits_scores(_ pred: UnsafePointer<UInt8>?, _ truth: UnsafePointer<UInt8>?, _ shapeIn: UnsafePointer<Int64>?,
                                _ spacingIn: UnsafePointer<Double>?, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let shape = try checkedShape(shapeIn), spacing = try checkedSpacing(spacingIn)
        let (p, t) = try masks(pred, truth, shape.reduce(1, *))
        try returnJSON(LiTSCaseScores(id: "case", truth: t, prediction: p, shape: shape, spacing: spacing), json)
    }
}

struct Regions: Encodable {
    var liverExtent: LiverExtent?
    /// Per slice k: top, middle, bottom (thirds of the liver's extent), or outside.
    var regions: [String]
}

/// The thirds of the liver (`LiverExtent`) of a canonical label map (k inferior to superior).
@_cdecl("litskit_liver_regions")
public func litskit_liver_regions(_ labelsIn: UnsafePointer<UInt8>?, _ shapeIn: UnsafePointer<Int64>?,
                                  _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                  _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let shape = try checkedShape(shapeIn)
        let labels = LabelMap(grid: Grid(shape: shape, spacing: [1, 1, 1]), voxels: try array(labelsIn, shape.reduce(1, *), "labels"))
        let extent = LiverExtent(labels: labels)
        let regions = (0..<shape[2]).map { k -> String in
            guard let extent, k >= extent.kMin, k <= extent.kMax else { return "outside" }
            return extent.region(ofSlice: Double(k)).rawValue
        }
        try returnJSON(Regions(liverExtent: extent, regions: regions), json)
    }
}

/// Everything `lits evaluate` scores in one case (`CaseEvaluator.evaluate`: liver and lesion
/// metrics, per-third Dice, lesion detection, instances, BraTS lesion-wise) of two canonical
/// label maps. `surfaces` 0 skips the surface distances.
@_cdecl("litskit_evaluate_case")
public func litskit_evaluate_case(_ pred: UnsafePointer<UInt8>?, _ truth: UnsafePointer<UInt8>?, _ shapeIn: UnsafePointer<Int64>?,
                                  _ spacingIn: UnsafePointer<Double>?, _ surfaces: Int32,
                                  _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                  _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let shape = try checkedShape(shapeIn), spacing = try checkedSpacing(spacingIn)
        let (p, t) = try masks(pred, truth, shape.reduce(1, *))
        let grid = Grid(shape: shape, spacing: spacing)
        var options = EvaluationOptions()
        options.surfaces = surfaces != 0
        let e = CaseEvaluator.evaluate(id: "case", predictionPath: "", truth: LabelMap(grid: grid, voxels: t),
                                       prediction: LabelMap(grid: grid, voxels: p), options: options)
        try returnJSON(e, json)
    }
}

/// `lits qa` on the given files or folders (a JSON array of paths), without an output folder:
/// the summary (`QAReport.Summary`: counts and every finding) as JSON.
@_cdecl("litskit_qa")
public func litskit_qa(_ pathsJSON: UnsafePointer<CChar>?, _ threads: Int32, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                       _ err: UnsafeMutablePointer<CChar>?, _ errCapacity: Int) -> Int32 {
    guarded(err, errCapacity) {
        let text = try path(pathsJSON)
        guard let paths = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), !paths.isEmpty else {
            throw LiTSError(.invalidArgument, path: nil, "qa needs a list of one or more paths")
        }
        let result = try QARun.run(paths, out: nil, threads: max(1, Int(threads)))
        try returnJSON(result.summary, json)
    }
}
