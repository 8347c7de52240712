/// The toolkit's version, written into every checkpoint's `created_by`.
public enum ToolkitVersion {
    public static let string = "0.1.0"
}
