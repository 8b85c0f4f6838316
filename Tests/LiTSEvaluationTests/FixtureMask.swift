/// A mask of the fixture files: run-length pairs (start, length) over the flat (Fortran-order,
/// i fastest) voxel index, as scripts/fixture_runs.py and the medpy fixture script write them.
func fixtureMask(_ runs: [Int], count: Int) -> [Bool] {
    var m = [Bool](repeating: false, count: count)
    for r in stride(from: 0, to: runs.count, by: 2) { for n in runs[r]..<(runs[r] + runs[r + 1]) { m[n] = true } }
    return m
}
