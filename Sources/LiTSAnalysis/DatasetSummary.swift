import Foundation
import LiTSCore
import LiTSImaging

/// Dataset-level numbers computed from the per-case results, in case order.
public struct DatasetSummary: Codable, Equatable, Sendable {
    /// Upper edges (mm) of the lesion size bins (equivalent-sphere diameter, roughly log-spaced).
    public static let sizeEdges: [Double] = [5, 10, 20, 40, 80, .infinity]

    public var cases: Int
    public var casesWithLabels: Int
    public var casesWithoutTumor: [String]
    public var lesions: Int
    public var lesionsPerCase: [String: Int]
    public var lesionSizeCounts: [Int]           // per `sizeEdges` bin
    public var shareUnder10mm: Double?
    public var lesionsPerRegion: [String: Int]   // top, middle, bottom
    public var tumorBurdens: [String: Double]
    /// How 3D are the lesions: counts of lesions by slices spanned (last bin: 10 or more).
    public var slicesSpannedCounts: [Int]
    public var shareOnOneOrTwoSlices: Double?
    /// The same share estimated at other slice spacings (mm as text): a lesion whose z-extent is at
    /// most two slices thick would appear on one or two slices at that spacing.
    public var shareOnOneOrTwoSlicesAtSpacing: [String: Double]
    /// Median of z-extent / largest in-plane diameter over lesions spanning at least 2 slices.
    public var medianZToInPlaneRatio: Double?
    public var medianSliceThicknessMM: Double
    public var highlights: [String]
    /// Cases that could not be analysed (unreadable, or their results could not be written), with
    /// the reason; `cases` counts the others.
    public var failedCases: [String: String] = [:]
    /// Files dataset discovery passed over (a dangling link, a folder named like a case file), and why.
    public var skippedFiles: [SkippedFile] = []

    public init(_ cases: [CaseEDA]) {
        self.cases = cases.count
        casesWithLabels = cases.filter(\.hasLabels).count
        casesWithoutTumor = cases.filter { $0.hasLabels && $0.labelVoxels[2] == 0 }.map(\.id)
        let all = cases.flatMap(\.lesions)
        lesions = all.count
        lesionsPerCase = Dictionary(uniqueKeysWithValues: cases.filter(\.hasLabels).map { ($0.id, $0.lesions.count) })
        lesionSizeCounts = DatasetSummary.sizeEdges.indices.map { b in
            let lo = b == 0 ? 0 : DatasetSummary.sizeEdges[b - 1]
            return all.filter { $0.equivalentDiameterMM >= lo && $0.equivalentDiameterMM < DatasetSummary.sizeEdges[b] }.count
        }
        shareUnder10mm = all.isEmpty ? nil : Double(all.filter { $0.equivalentDiameterMM < 10 }.count) / Double(all.count)
        lesionsPerRegion = Dictionary(uniqueKeysWithValues: LiverRegion.allCases.map { r in (r.rawValue, all.filter { $0.region == r }.count) })
        tumorBurdens = Dictionary(uniqueKeysWithValues: cases.compactMap { c in c.tumorBurden.map { (c.id, $0) } })
        slicesSpannedCounts = (1...10).map { s in all.filter { s == 10 ? $0.slices >= 10 : $0.slices == s }.count }
        shareOnOneOrTwoSlices = all.isEmpty ? nil : Double(all.filter { $0.slices <= 2 }.count) / Double(all.count)
        shareOnOneOrTwoSlicesAtSpacing = all.isEmpty ? [:] : Dictionary(uniqueKeysWithValues: [2.0, 5.0].map { t in
            (String(format: "%.1f", t), Double(all.filter { $0.extentMM[2] <= 2 * t + 1e-9 }.count) / Double(all.count))
        })
        let ratios = all.filter { $0.slices >= 2 && $0.maxInPlaneDiameterMM > 0 }.map { $0.extentMM[2] / $0.maxInPlaneDiameterMM }
        medianZToInPlaneRatio = ratios.isEmpty ? nil : Fingerprint.percentile(ratios, 50)
        medianSliceThicknessMM = Fingerprint.percentile(cases.map(\.sliceThicknessMM), 50)
        highlights = DatasetSummary.highlights(cases)
    }

    /// The "what stands out" list, each item computed from the data.
    static func highlights(_ cases: [CaseEDA]) -> [String] {
        var out: [String] = []
        let noTumor = cases.filter { $0.hasLabels && $0.labelVoxels[2] == 0 }.map(\.id)
        if !noTumor.isEmpty { out.append("No tumor in \(noTumor.count) case(s): \(noTumor.joined(separator: ", ")).") }
        let noLabels = cases.filter { !$0.hasLabels }.map(\.id)
        if !noLabels.isEmpty { out.append("No segmentation for \(noLabels.count) case(s) (test data?): \(noLabels.joined(separator: ", ")).") }
        let noLiver = cases.filter { $0.hasLabels && $0.liverML == 0 }.map(\.id)
        if !noLiver.isEmpty { out.append("Segmentation without any liver in: \(noLiver.joined(separator: ", ")).") }
        let thickness = Fingerprint.percentile(cases.map(\.sliceThicknessMM), 50)
        let inPlane = Fingerprint.percentile(cases.map { $0.canonicalSpacing[0] }, 50)
        for c in cases {
            if c.sliceThicknessMM > 2 * thickness || c.sliceThicknessMM < 0.5 * thickness {
                out.append(String(format: "Case %@: slice spacing %.2f mm against a median of %.2f mm.", c.id, c.sliceThicknessMM, thickness))
            }
            if c.canonicalSpacing[0] > 1.5 * inPlane || c.canonicalSpacing[0] < inPlane / 1.5 {
                out.append(String(format: "Case %@: in-plane spacing %.3f mm against a median of %.3f mm.", c.id, c.canonicalSpacing[0], inPlane))
            }
            let cut = c.liverTouches.filter { $0 == "superior" || $0 == "inferior" }
            if !cut.isEmpty {
                out.append("Case \(c.id): the liver touches the \(cut.joined(separator: " and ")) edge of the image, so it is cut off by the field of view.")
            } else if !c.liverTouches.isEmpty {
                out.append("Case \(c.id): the liver touches the \(c.liverTouches.joined(separator: ", ")) edge of the image.")
            }
            if !c.tumorTouches.isEmpty {
                out.append("Case \(c.id): tumor touches the \(c.tumorTouches.joined(separator: ", ")) edge of the image.")
            }
            if let f = c.liverLargestComponentFraction, c.liverComponents > 1 {
                out.append(String(format: "Case %@: the liver label has %d separate 3D components; the largest holds %.1f%% of it.", c.id, c.liverComponents, 100 * f))
            }
            if let m = c.hu["liver"]?.percentile(50), m < 20 || m > 200 {
                out.append(String(format: "Case %@: unusual median liver HU %.0f (a typical contrast-enhanced liver is 50-150).", c.id, m))
            }
            if let lm = c.hu["liver"]?.percentile(50), let tm = c.hu["tumor"]?.percentile(50), tm > lm {
                out.append(String(format: "Case %@: tumor is brighter than the liver (median %.0f against %.0f HU).", c.id, tm, lm))
            }
            if let b = c.hu["body"], b.min > -900 {
                out.append(String(format: "Case %@: the body's darkest voxel is %.0f HU; no air inside the body (lungs, bowel gas) was found.", c.id, b.min))
            }
            if let outside = c.histograms["body"]?.outOfRange, outside > 0 {
                out.append("Case \(c.id): \(outside) body voxels outside \(HUHistogram.lowest)..\(HUHistogram.highest) HU.")
            }
        }
        return out
    }
}
