# dice_per_region: written by LiTSKit. Re-plot with: cd charts && gnuplot dice_per_region.gp
datafile = 'dice_per_region.dat'
if (!exists('outfile')) outfile = '../figures/dice_per_region.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Dice per third of the liver (superior-inferior): bars mean, points cases (n = 1)'
set ylabel 'Dice'
set yrange [0:1.1]
set xrange [-0.6:2.6]
set xtics ('top' 0, 'middle' 1, 'bottom' 2)
set style fill solid 0.5
set boxwidth 0.35
set key top right horizontal
plot datafile index 0 using 1:2 with boxes lc rgb '#009E73' title 'liver (mean)', datafile index 0 using 3:4 with boxes lc rgb '#D55E00' title 'lesion (mean)', datafile index 1 using 1:2 with points pt 7 ps 0.9 lc rgb '#00604A' title 'liver, per case', datafile index 1 using 3:4 with points pt 7 ps 0.9 lc rgb '#8A3B00' title 'lesion, per case'
