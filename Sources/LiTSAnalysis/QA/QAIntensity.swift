import Foundation

/// Intensities: HU calibration, padding values, the liver's median HU and a contrast-phase estimate.
public enum QAIntensity {
    public static let check = "intensity"
    /// Air is about -1000 HU: a minimum at or above this suggests a missing -1024 offset.
    public static let uncalibratedMinHU = -200.0
    /// Liver median HU: warning outside, error outside.
    public static let plausibleLiverHU = 30.0...200.0, possibleLiverHU = -50.0...400.0
    /// Phase estimate from the liver's median HU: native below 75, arterial below 95, then portal venous.
    public static let arterialFromHU = 75.0, portalFromHU = 95.0

    public static func isCalibrated(_ f: QACaseFacts) -> Bool { f.huMin < uncalibratedMinHU }

    public static func phase(liverMedianHU hu: Double) -> String {
        hu < arterialFromHU ? "native" : hu < portalFromHU ? "arterial" : "portal venous"
    }

    public static func findings(_ f: QACaseFacts) -> [QAFinding] {
        var out: [QAFinding] = []
        let middle = QAEvidence(plane: .axial, index: f.liverCentreSlice ?? f.bodyMiddleSlice, window: [-1000, 2000])
        if !isCalibrated(f) {
            let liver = f.liverMedianHU.map { "; liver median \(QAFormat.f($0, 0)) HU" } ?? ""
            let offset = f.huMin >= -50 && f.huMin <= 100
            out.append(QAFinding(f.id, "\(check): not calibrated", .error,
                                 measured: "HU minimum \(QAFormat.f(f.huMin, 0))\(liver)",
                                 expected: "minimum <= \(Int(uncalibratedMinHU)) (air is about -1000 HU)",
                                 action: offset ? "The values look like raw scanner units without the -1024 offset: subtract 1024 (set scl_inter) and check the liver HU again."
                                                : "The values are not Hounsfield units: apply the DICOM rescale slope and intercept when converting.",
                                 evidence: middle))
        }
        let padded = f.paddingVoxels.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        if !padded.isEmpty {
            let total = padded.reduce(0) { $0 + $1.value }
            let share = Double(total) / Double(max(1, f.voxels))
            out.append(QAFinding(f.id, "\(check): padding", .note,
                                 measured: padded.map { "\($0.key): \($0.value) voxels" }.joined(separator: "; ") + " (\(QAFormat.pct(share)) of the volume)",
                                 expected: "no values below -1500 HU (air is -1000)",
                                 action: "Outside-the-scan padding: set it to -1024 or mask it before min-max normalisation and HU statistics."))
        }
        if isCalibrated(f), let hu = f.liverMedianHU {
            let evidence = QAEvidence(plane: .axial, index: f.liverCentreSlice ?? f.bodyMiddleSlice, window: [-160, 240])
            if !plausibleLiverHU.contains(hu) {
                let s: QASeverity = possibleLiverHU.contains(hu) ? .warning : .error
                let why = hu < plausibleLiverHU.lowerBound ? "a fatty liver (steatosis), or a label that is not over the liver" : "an unusual contrast phase, or a label over contrast-filled vessels or bone"
                out.append(QAFinding(f.id, "\(check): liver HU", s, measured: "median \(QAFormat.f(hu, 0)) HU",
                                     expected: "\(Int(plausibleLiverHU.lowerBound))-\(Int(plausibleLiverHU.upperBound)) HU (native or contrast CT)",
                                     action: "Look at the case: \(why); leave it out of intensity statistics until explained.", evidence: evidence))
            } else {
                out.append(QAFinding(f.id, "\(check): contrast phase (estimate)", .note, measured: "liver median \(QAFormat.f(hu, 0)) HU: \(phase(liverMedianHU: hu))",
                                     expected: "native 50-70, arterial 75-95, portal venous 100-130 HU",
                                     action: "An estimate from the liver alone; group or stratify cases by phase when intensity matters."))
            }
        }
        return out
    }
}
