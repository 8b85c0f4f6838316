import Foundation
import LiTSImaging

/// Everything the EDA report knows about one case. Saved as `data/cases/ID.json` so shards
/// computed anywhere merge into the same report a single run gives.
public struct CaseEDA: Codable, Equatable, Sendable {
    public var id: String
    public var volume: String
    public var segmentation: String?
    /// The file's own geometry.
    public var shape: [Int]
    public var spacing: [Double]
    public var orientation: String
    public var datatype: String
    /// Canonical (RAS+) geometry, in which k runs inferior to superior.
    public var canonicalShape: [Int]
    public var canonicalSpacing: [Double]
    public var slices: Int
    public var sliceThicknessMM: Double

    public var hasLabels: Bool
    /// Voxels with label 0, 1 and 2.
    public var labelVoxels: [Int]
    /// Liver = label >= 1 (LiTS convention: liver including tumor); tumor = label 2.
    public var liverML: Double
    public var tumorML: Double
    /// tumor mL / liver mL (nil without liver).
    public var tumorBurden: Double?
    public var liverExtent: LiverExtent?
    public var liverExtentMM: Double?
    /// Image faces a label touches ("inferior", "superior", "left", "right", "anterior", "posterior"):
    /// an organ cut off by the field of view.
    public var liverTouches: [String]
    public var tumorTouches: [String]
    public var liverComponents: Int
    public var liverLargestComponentFraction: Double?

    public var hu: [String: IntensityStats]   // "body", "liver", "tumor"
    public var histograms: [String: HUHistogram]
    public var lesions: [Lesion]
    public var connectivity: Int
    /// What each tile of `figures/case-ID.png` shows, in order.
    public var montageTiles: [String]?
}

/// One 3D connected component of label 2.
public struct Lesion: Codable, Equatable, Sendable {
    public var id: Int
    public var voxels: Int
    public var volumeML: Double
    /// Diameter of the sphere of the same volume.
    public var equivalentDiameterMM: Double
    /// Bounding-box extent along x, y, z (mm).
    public var extentMM: [Double]
    /// Number of axial slices it appears on.
    public var slices: Int
    /// Longest in-plane diameter (the RECIST long axis on the voxel grid) and the canonical slice k it is on.
    public var maxInPlaneDiameterMM: Double
    public var maxInPlaneSlice: Int
    /// Centroid as canonical voxel indices and as world coordinates (mm, RAS+).
    public var centroidVoxel: [Double]
    public var centroidWorldMM: [Double]
    public var meanHU: Double
    public var stdHU: Double
    /// Third of the case's liver extent the centroid lies in (nil without liver).
    public var region: LiverRegion?
    /// Depth of the centroid below the liver surface (mm); 0 when the centroid is outside the liver.
    public var depthMM: Double?
}
