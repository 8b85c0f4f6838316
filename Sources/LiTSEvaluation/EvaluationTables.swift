import Foundation

/// The CSV files of the evaluation report: per case, per case and region, per truth lesion. A
/// value that is not defined (NaN, or a metric that does not exist for the case) is an empty field.
enum EvaluationTables {
    /// A number, or the empty field when it is not defined.
    static func f(_ x: Double?, _ d: Int = 3) -> String {
        guard let x, !x.isNaN else { return "" }
        return String(format: "%.\(d)f", x)
    }

    /// A text field, quoted when it holds a comma, quote or line break.
    static func text(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static let metricColumns = 36

    /// Every case given: its metrics (empty when it was not scored), its status and why.
    static func cases(_ rows: [CaseRow]) -> String {
        var csv = "case,liver_dice,liver_jaccard,liver_voe,liver_rvd,liver_assd_mm,liver_hd_mm,liver_hd95_mm,liver_tp,liver_fp,liver_fn,lesion_dice,lesion_jaccard,lesion_voe,lesion_rvd,lesion_assd_mm,lesion_hd_mm,lesion_hd95_mm,lesion_tp,lesion_fp,lesion_fn,truth_lesions,detected_lesions,predicted_lesion_components,false_positive_components,liver_nsd,lesion_nsd,lesion_rq,lesion_sq,lesion_pq,merges,splits,brats_tp,brats_fn,brats_fp,brats_lesion_dice,brats_lesion_hd95_mm,status,reason\n"
        func row(_ m: StructureMetrics) -> [String] {
            [f(m.dice, 6), f(m.jaccard, 6), f(m.volumeOverlapError, 6), f(m.relativeVolumeDifference, 6), f(m.assd, 4), f(m.hausdorff, 4), f(m.hd95, 4),
             String(m.tp), String(m.fp), String(m.fn)]
        }
        for r in rows {
            let tail = [r.status.rawValue, text(r.reason ?? "")]
            guard let c = r.evaluation else {
                csv += ([text(r.id)] + [String](repeating: "", count: metricColumns) + tail).joined(separator: ",") + "\n"
                continue
            }
            csv += ([text(c.id)] + row(c.liver) + row(c.lesion) + [String(c.lesions.count), String(c.lesions.filter(\.detected).count),
                                                              String(c.predictedLesionComponents), String(c.falsePositiveLesionComponents),
                                                              f(c.liver.nsd, 6), f(c.lesion.nsd, 6),
                                                              f(c.instances?.rq, 6), f(c.instances?.sq, 6), f(c.instances?.pq, 6),
                                                              c.merges.map(String.init) ?? "", c.splits.map(String.init) ?? "",
                                                              c.brats.map { String($0.tp) } ?? "", c.brats.map { String($0.fn) } ?? "",
                                                              c.brats.map { String($0.fp) } ?? "", f(c.brats?.dice, 6), f(c.brats?.hd95, 4)]
                     + tail).joined(separator: ",") + "\n"
        }
        return csv
    }

    static func regions(_ cases: [CaseEvaluation]) -> String {
        var csv = "case,region,liver_dice,liver_fp,liver_fn,lesion_dice,lesion_fp,lesion_fn\n"
        for c in cases { for r in c.regions {
            csv += [c.id, r.region, f(r.liverDice, 6), String(r.liverFP), String(r.liverFN), f(r.lesionDice, 6), String(r.lesionFP), String(r.lesionFN)].joined(separator: ",") + "\n"
        } }
        return csv
    }

    static func lesions(_ cases: [CaseEvaluation]) -> String {
        var csv = "case,lesion,voxels,equivalent_diameter_mm,region,detected,dice,predicted_components,predicted_voxels,volume_error_ml,diameter_mm,predicted_diameter_mm,diameter_error_mm\n"
        for c in cases { for l in c.lesions {
            csv += [c.id, String(l.id), String(l.voxels), f(l.equivalentDiameterMM, 3), l.region ?? "", l.detected ? "yes" : "no", f(l.dice, 4),
                    l.predictedComponents.map(String.init) ?? "", l.predictedVoxels.map(String.init) ?? "", f(l.volumeErrorML, 4),
                    f(l.diameterMM, 3), f(l.predictedDiameterMM, 3), f(l.diameterErrorMM, 3)].joined(separator: ",") + "\n"
        } }
        return csv
    }

    /// Lesion-wise metrics per case and region.
    static func lesionRegions(_ cases: [CaseEvaluation]) -> String {
        var csv = "case,region,lesions,detected,predicted_components,false_positive_components,merges,splits,instance_tp,instance_fp,instance_fn,rq,sq,pq,brats_tp,brats_fn,brats_fp,brats_lesion_dice,brats_lesion_hd95_mm\n"
        for c in cases { for r in c.lesionRegions ?? [] {
            let m = r.instances
            csv += [c.id, r.region, String(r.lesions), String(r.detected), String(r.predictedComponents), String(r.falsePositiveComponents),
                    String(r.merges), String(r.splits), String(m.tp), String(m.fp), String(m.fn), f(m.rq, 6), f(m.sq, 6), f(m.pq, 6),
                    String(r.bratsTP), String(r.bratsFN), String(r.bratsFP), f(r.bratsDice, 6), f(r.bratsHD95, 4)].joined(separator: ",") + "\n"
        } }
        return csv
    }
}
