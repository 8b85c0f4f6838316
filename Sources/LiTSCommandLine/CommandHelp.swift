/// The longer help texts of the `lits` commands (their `discussion`).
public enum CommandHelp {
    public static let qa = """
        One row per finding (case, check, severity error/warning/note, measured value, expected \
        range, what to do) on stdout, tab-separated. Every check is computed from the data. Cases in \
        all the folders given are compared for duplicates (train/test leaks). With --out, the folder \
        gets index.md (findings and the slice that shows each), data/qa.csv, data/qa.json, \
        data/qa/ID.json and figures/qa-ID.png (.svg or .pdf with --figures). Exit status 1 when any error is found (an unreadable \
        case is one), so a pipeline can stop on it.
        """
    public static let edaRun = """
        The report folder gets index.md, figures/ (montages and charts), charts/ (gnuplot scripts and \
        data), data/cases.csv, data/lesions.csv, data/fingerprint.json, data/summary.json and \
        data/cases/ID.json. With --shard i/n (or in a Slurm array task) only every n-th case \
        (starting at the i-th) is analysed and no page is written; `lits eda merge` combines the \
        shards into the report one run gives.
        """
    public static let evaluateRun = """
        Predictions are NIfTI label maps named segmentation-N.nii[.gz], test-segmentation-N.nii or \
        volume-N's matching name, on the same grid as the truth case N. A folder `lits predict` wrote is \
        scored through its predictions.json: only the files it lists (a listed file that is missing \
        or a prediction-named file it does not list refuses the folder). In another folder a case \
        with more than one candidate file (subfolders included) refuses the folder. Every truth case \
        is a row of the report with its status (scored, missing, refused, error) and reason: a \
        case without a usable prediction (none, failed in `lits predict`, another grid, an \
        unreadable file) is scored as an empty prediction (--missing zero) or left out of the \
        means and listed above them (--missing skip); the means say over how many of the cases. \
        Metrics a case does not define are empty in the CSV files, null in evaluation.json and \
        n/a on the page, never 0. Exit status 0 when every case was scored from its own \
        prediction; 1 when any was not (the complete report is written first, each reason on \
        stderr) or on an error (no case with a usable prediction: no report). The report folder gets \
        index.md, data/cases.csv, data/regions.csv, data/lesions.csv (per truth lesion, with the \
        volume and longest in-plane diameter errors of detected ones), data/lesion-regions.csv \
        (detection, merges and splits, panoptica's RQ/SQ/PQ and BraTS 2023 lesion-wise Dice and \
        HD95 per third of the liver), charts and worst-slice montages. `--compare REF OTHER...` instead compares two or more \
        reports (for example uniform against liver-biased sampling), each with the first, case by \
        case: per headline metric the mean paired difference with a 95% bootstrap interval and the \
        Wilcoxon signed-rank p, a chart of the differences, data/compare.csv, mean Dice per region \
        and the keys of the training runs' config.json that differ. \
        `--protocol lits` instead scores as the LiTS challenge's scoring program does, number for \
        number (6-connected lesions, its merge-aware detection at IoU > 0.5 and > 0, its surface \
        distances, tumour burden): index.md, data/scores.txt in the official format, \
        data/lits-scores.json at full precision, data/lits-cases.csv, data/lits-groups.csv; there too \
        every truth case is a row with its status and reason, --missing zero scores a case without a \
        usable prediction as an empty prediction by the program's rules (its `note` names the special \
        values that gives, such as liver-dice-0), --missing skip leaves it out of the scores, and the \
        exit status is as above. \
        With --shard i/n (or in a Slurm array task; default protocol only) only every n-th truth \
        case (starting at the i-th) is evaluated, into a shard folder without a page; `lits \
        evaluate merge` combines the shards into the report one run gives.
        """
    public static let evaluateMerge = """
        The report (index.md, data/, charts, montages) is the one a single run over every case \
        writes. Parts must come from one split and the same evaluation options.
        """
    public static let exportNNUNet = """
        The cases (any layout LiTSKit reads) are written as OUT/imagesTr/{Name}_{id:03d}_0000.nii.gz \
        and OUT/labelsTr/{Name}_{id:03d}.nii.gz, cases without labels as OUT/imagesTs/..., with \
        OUT/dataset.json (channel 0 CT; labels background 0, liver 1, tumor 2; numTraining; \
        file_ending .nii.gz). {Name} comes from the folder name, which must be DatasetNNN_Name as \
        nnU-Net requires. A .nii.gz whose bytes can stay is hard-linked (copied on another file \
        system); a .nii is gzipped unchanged; a label map whose values are mapped to 0/1/2 is \
        written anew on its own grid. Every case is read and checked as every command reads it; \
        a case that fails stops the export and leaves none. --exclude leaves cases out by id; \
        --exclude-qa-errors runs `lits qa`'s checks and leaves out every case with an error. \
        OUT/litskit-export.json lists which case came from which file and how, and which were left \
        out and why. A rerun into the folder replaces the previous export as a whole.
        """
    public static let importDICOM = """
        SERIES_DIR holds one series of single-frame slices (read by GDCM, any transfer syntax it \
        decodes). Slices are sorted by position along the slice normal, stored values go through \
        Rescale Slope and Intercept into HU (float32), and the affine comes from Image Position and \
        Orientation (Patient), turned from DICOM's LPS into NIfTI's RAS as dcm2niix and SimpleITK do. \
        Each --mask NAME=DIR is a mask series on the same grid (any non-zero voxel is inside): \
        liver masks give label 1, tumor masks label 2 (several of each allowed, e.g. 3D-IRCADb's \
        --mask liver=MASKS_DICOM/liver --mask tumor=MASKS_DICOM/livertumor1 --mask \
        tumor=MASKS_DICOM/livertumor2). Refused: a folder with two series, missing or duplicated \
        slices (spacing along the normal uneven by more than 1%), pixel data GDCM cannot decode, a \
        mask series on another grid. Existing volume-N / segmentation-N files are never replaced.
        """
    public static let importMRC = """
        MRC files from the sample carry no voxel size: the spacing given here is written into the \
        NIfTI header as an assumption. The sample's MRC axes are NIfTI's reversed (it was written by \
        mrcfile from a NIfTI-ordered array), hence --axis-order zyx. Its anatomy says LPS: the liver \
        lies at low i (patient's right), the spine at high j (posterior), the lungs at high k \
        (superior); --orientation sets the affine's signs accordingly.
        """
    public static let preprocessRun = """
        Arrays are float32 (CT, [0, 1]) and uint8 (labels 0/1/2), C order with shape (nz, ny, nx) in \
        canonical RAS+ orientation. manifest.json records each case's source files, original grid \
        and affine and the new grid, so predictions can be mapped back onto the original files. \
        With --shard i/n (or in a Slurm array task) only every n-th case (starting at the i-th) is \
        preprocessed, into a shard folder; `lits preprocess merge` combines the shards into the \
        folder one run gives.
        """
    public static let preprocessMerge = """
        The arrays are copied and one manifest.json lists every case in the order one run gives. \
        Parts must come from one split and the same options.
        """
    public static let preview = """
        Writes DIR/montage-WINDOW.png (one row per method, one column per slice), full-resolution \
        single slices in DIR/slices/, DIR/data/metrics.csv (liver-tumor contrast and slice-to-slice \
        consistency per method, for cases with labels), a gnuplot chart and DIR/index.md.
        Methods: window, slice, volume, volume-body, clahe. Window presets: liver (-100,400), \
        abdomen (-160,240), soft-tissue (-125,225), bone (300,1500), or L,H.
        """
}
