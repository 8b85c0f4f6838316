/// The toolkit's version, recorded in every output folder's marker.
public enum LiTSKitVersion {
    public static let current = "0.5.0"
}
