import Foundation

/// The CSV files of the evaluation report: per case, per case and region, per truth lesion.
enum EvaluationTables {
    static func cases(_ cases: [CaseEvaluation]) -> String {
        let f = EvaluationReport.f
        var csv = "case,liver_dice,liver_jaccard,liver_voe,liver_rvd,liver_assd_mm,liver_hd_mm,liver_hd95_mm,liver_tp,liver_fp,liver_fn,lesion_dice,lesion_jaccard,lesion_voe,lesion_rvd,lesion_assd_mm,lesion_hd_mm,lesion_hd95_mm,lesion_tp,lesion_fp,lesion_fn,truth_lesions,detected_lesions,predicted_lesion_components,false_positive_components,liver_nsd,lesion_nsd,lesion_rq,lesion_sq,lesion_pq\n"
        func row(_ m: StructureMetrics) -> [String] {
            [f(m.dice, 6), f(m.jaccard, 6), f(m.volumeOverlapError, 6), f(m.relativeVolumeDifference, 6), f(m.assd, 4), f(m.hausdorff, 4), f(m.hd95, 4),
             String(m.tp), String(m.fp), String(m.fn)]
        }
        for c in cases {
            csv += ([c.id] + row(c.liver) + row(c.lesion) + [String(c.lesions.count), String(c.lesions.filter(\.detected).count),
                                                              String(c.predictedLesionComponents), String(c.falsePositiveLesionComponents),
                                                              f(c.liver.nsd, 6), f(c.lesion.nsd, 6),
                                                              f(c.instances?.rq, 6), f(c.instances?.sq, 6), f(c.instances?.pq, 6)]).joined(separator: ",") + "\n"
        }
        return csv
    }

    static func regions(_ cases: [CaseEvaluation]) -> String {
        let f = EvaluationReport.f
        var csv = "case,region,liver_dice,liver_fp,liver_fn,lesion_dice,lesion_fp,lesion_fn\n"
        for c in cases { for r in c.regions {
            csv += [c.id, r.region, f(r.liverDice, 6), String(r.liverFP), String(r.liverFN), f(r.lesionDice, 6), String(r.lesionFP), String(r.lesionFN)].joined(separator: ",") + "\n"
        } }
        return csv
    }

    static func lesions(_ cases: [CaseEvaluation]) -> String {
        let f = EvaluationReport.f
        var csv = "case,lesion,voxels,equivalent_diameter_mm,region,detected,dice\n"
        for c in cases { for l in c.lesions {
            csv += [c.id, String(l.id), String(l.voxels), f(l.equivalentDiameterMM, 3), l.region ?? "", l.detected ? "yes" : "no", f(l.dice, 4)].joined(separator: ",") + "\n"
        } }
        return csv
    }
}
