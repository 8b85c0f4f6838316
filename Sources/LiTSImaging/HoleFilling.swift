import Foundation
import LiTSCore

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
            Parallel.perform(iterations: nz) { k in
                let slice = base + k * plane
                // 0 = background not yet reached, 1 = foreground, 2 = background reached from the border.
                let state = UnsafeMutablePointer<UInt8>.allocate(capacity: plane)
                let stack = UnsafeMutablePointer<Int32>.allocate(capacity: plane)  // each pixel is pushed once
                defer { state.deallocate(); stack.deallocate() }
                for p in 0..<plane { state[p] = slice[p] ? 1 : 0 }
                var top = 0
                @inline(__always) func push(_ p: Int) {
                    if state[p] == 0 { state[p] = 2; stack[top] = Int32(p); top += 1 }
                }
                for x in 0..<nx { push(x); push(x + nx * (ny - 1)) }
                for y in 0..<ny { push(nx * y); push(nx - 1 + nx * y) }
                while top > 0 {
                    top -= 1
                    let p = Int(stack[top])
                    let x = p % nx
                    if x > 0 { push(p - 1) }
                    if x < nx - 1 { push(p + 1) }
                    if p >= nx { push(p - nx) }
                    if p < plane - nx { push(p + nx) }
                }
                for p in 0..<plane where state[p] == 0 { slice[p] = true }
            }
        }
        return out
    }
}
