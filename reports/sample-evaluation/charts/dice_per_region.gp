# dice_per_region: written by LiTSKit. Re-plot with: cd charts && gnuplot dice_per_region.gp
datafile = 'dice_per_region.dat'
if (!exists('outfile')) outfile = '../figures/dice_per_region.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Mean Dice per third of the liver (superior-inferior)'
set ylabel 'Dice'
set yrange [0:1]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set key top right
plot datafile using 3:xtic(2) title 'liver' lc rgb '#1a9641', '' using 4 title 'lesion' lc rgb '#d7191c'
