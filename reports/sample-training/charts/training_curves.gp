# training_curves: written by LiTSKit. Re-plot with: cd charts && gnuplot training_curves.gp
datafile = 'training_curves.dat'
if (!exists('outfile')) outfile = '../figures/training_curves.png'
set terminal pngcairo size 1100,450 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set multiplot layout 1,2 title 'Training (6 epochs)'
set xlabel 'epoch'
set key top right
set xrange [0.5:6.5]
set xtics 1
set mxtics 1
set format x '%.0f'
set ylabel 'loss'
plot datafile using 1:2 with linespoints lw 2 title 'train', datafile using 1:3 with linespoints lw 2 title 'validation'
set ylabel 'Dice (validation, threshold 0.5)'
set yrange [0:1]
set key bottom right
plot datafile using 1:4 with linespoints lw 2 lc rgb '#009E73' title 'liver', datafile using 1:5 with linespoints lw 2 lc rgb '#D55E00' title 'lesion'
unset multiplot
