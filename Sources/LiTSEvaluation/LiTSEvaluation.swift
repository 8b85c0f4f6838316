// LiTSEvaluation: overlap and surface metrics, lesion detection, per-region breakdown.
// See OverlapMetrics.swift and SurfaceDistance.swift.
