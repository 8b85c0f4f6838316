import Foundation

/// Hole filling, slice by slice: in each axial slice, background pixels that cannot reach the
/// slice's border through 4-connected background become foreground. For a body mask this adds
/// the air inside the patient (lungs, bowel gas) while the air around them stays outside.
public enum HoleFilling {
    public static func fillAxialHoles(shape: [Int], mask: [Bool]) -> [Bool] {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        let plane = nx * ny
        var out = mask
        out.withUnsafeMutableBufferPointer { o in
            let base = o.baseAddress!
            DispatchQueue.concurrentPerform(iterations: nz) { k in
                let slice = base + k * plane
                // 0 = unvisited background, 1 = foreground, 2 = background reached from the border.
                var state = [UInt8](repeating: 0, count: plane)
                var stack: [Int] = []
                for p in 0..<plane where slice[p] { state[p] = 1 }
                func push(_ p: Int) { if state[p] == 0 { state[p] = 2; stack.append(p) } }
                for x in 0..<nx { push(x); push(x + nx * (ny - 1)) }
                for y in 0..<ny { push(nx * y); push(nx - 1 + nx * y) }
                while let p = stack.popLast() {
                    let x = p % nx, y = p / nx
                    if x > 0 { push(p - 1) }
                    if x < nx - 1 { push(p + 1) }
                    if y > 0 { push(p - nx) }
                    if y < ny - 1 { push(p + nx) }
                }
                for p in 0..<plane where state[p] == 0 { slice[p] = true }
            }
        }
        return out
    }
}
