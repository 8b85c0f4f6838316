import Foundation
import LiTSImaging

/// The CSV files of the EDA report: one row per case, per lesion, per HU bin.
enum EDATables {
    static func cases(_ cases: [CaseEDA]) -> String {
        var header = ["case", "volume", "segmentation", "shape", "spacing_mm", "orientation", "datatype",
                      "canonical_shape", "slices", "slice_thickness_mm", "background_voxels", "liver_voxels", "tumor_voxels",
                      "liver_ml", "tumor_ml", "tumor_burden", "liver_k_min", "liver_k_max", "liver_extent_slices",
                      "liver_extent_mm", "liver_touches", "tumor_touches", "liver_components", "liver_largest_fraction", "lesions"]
        let levels = IntensityStats.percentileLevels
        for cls in ["body", "liver", "tumor"] {
            header += ["\(cls)_voxels", "\(cls)_hu_mean", "\(cls)_hu_std", "\(cls)_hu_min"]
                + levels.map { "\(cls)_hu_p\(IntensityStats.key($0))" } + ["\(cls)_hu_max", "\(cls)_percentile_method"]
        }
        var csv = CSV(header: header)
        for c in cases {
            let geometry: [String] = [
                c.id, c.volume, c.segmentation ?? "", c.shape.map(String.init).joined(separator: "x"),
                c.spacing.map { CSV.number($0, 6) }.joined(separator: "x"), c.orientation, c.datatype,
                c.canonicalShape.map(String.init).joined(separator: "x"), String(c.slices), CSV.number(c.sliceThicknessMM, 6),
            ]
            let volumes: [String] = [
                String(c.labelVoxels[0]), String(c.labelVoxels[1]), String(c.labelVoxels[2]),
                CSV.number(c.liverML, 3), CSV.number(c.tumorML, 3), CSV.number(c.tumorBurden, 5),
            ]
            let extent: [String] = [
                c.liverExtent.map { String($0.kMin) } ?? "", c.liverExtent.map { String($0.kMax) } ?? "",
                c.liverExtent.map { String($0.slices) } ?? "", CSV.number(c.liverExtentMM, 2),
                c.liverTouches.joined(separator: " "), c.tumorTouches.joined(separator: " "),
                String(c.liverComponents), CSV.number(c.liverLargestComponentFraction, 5), String(c.lesions.count),
            ]
            var row = geometry + volumes + extent
            for cls in ["body", "liver", "tumor"] {
                if let s = c.hu[cls] {
                    row += [String(s.voxels), CSV.number(s.mean, 3), CSV.number(s.std, 3), CSV.number(s.min, 3)]
                        + levels.map { CSV.number(s.percentile($0), 3) } + [CSV.number(s.max, 3), s.method]
                } else {
                    row += [String](repeating: "", count: 6 + levels.count)
                }
            }
            csv.add(row)
        }
        return csv.text
    }

    static func lesions(_ cases: [CaseEDA]) -> String {
        var csv = CSV(header: ["case", "lesion", "voxels", "volume_ml", "equivalent_diameter_mm", "extent_x_mm", "extent_y_mm",
                               "extent_z_mm", "slices", "max_inplane_diameter_mm", "max_inplane_slice_k",
                               "centroid_i", "centroid_j", "centroid_k", "centroid_x_mm", "centroid_y_mm", "centroid_z_mm",
                               "mean_hu", "std_hu", "liver_region", "depth_below_liver_surface_mm"])
        for c in cases {
            for l in c.lesions {
                let size: [String] = [c.id, String(l.id), String(l.voxels), CSV.number(l.volumeML, 4), CSV.number(l.equivalentDiameterMM, 3)]
                let extent: [String] = l.extentMM.map { CSV.number($0, 3) }
                    + [String(l.slices), CSV.number(l.maxInPlaneDiameterMM, 3), String(l.maxInPlaneSlice)]
                let position: [String] = l.centroidVoxel.map { CSV.number($0, 3) } + l.centroidWorldMM.map { CSV.number($0, 3) }
                let rest: [String] = [CSV.number(l.meanHU, 3), CSV.number(l.stdHU, 3), l.region?.rawValue ?? "", CSV.number(l.depthMM, 3)]
                csv.add(size + extent + position + rest)
            }
        }
        return csv.text
    }

    static func histograms(_ pooled: [String: HUHistogram]) -> String {
        let classes = ["body", "liver", "tumor"].filter { pooled[$0] != nil }
        var csv = CSV(header: ["hu_bin_low"] + classes)
        let nonEmpty = (0..<HUHistogram.binCount).filter { b in classes.contains { pooled[$0]!.counts[b] > 0 } }
        guard let first = nonEmpty.first, let last = nonEmpty.last else { return csv.text }
        for b in first...last {
            csv.add([String(HUHistogram.lowest + b)] + classes.map { String(pooled[$0]!.counts[b]) })
        }
        return csv.text
    }

}
