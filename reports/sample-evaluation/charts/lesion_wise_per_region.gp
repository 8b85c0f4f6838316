# lesion_wise_per_region: written by LiTSKit. Re-plot with: cd charts && gnuplot lesion_wise_per_region.gp
datafile = 'lesion_wise_per_region.dat'
if (!exists('outfile')) outfile = '../figures/lesion_wise_per_region.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Lesion-wise metrics per third of the liver'
set yrange [0:1.15]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set key top right horizontal
plot datafile using 3:xtic(2) title 'recall' lc rgb '#0072B2', '' using 4 title 'precision' lc rgb '#56B4E9', '' using 5 title 'PQ (panoptica)' lc rgb '#E69F00', '' using 6 title 'Dice (BraTS lesion-wise)' lc rgb '#D55E00'
