# dice_profile: written by LiTSKit. Re-plot with: cd charts && gnuplot dice_profile.gp
datafile = 'dice_profile.dat'
if (!exists('outfile')) outfile = '../figures/dice_profile.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Liver Dice along the liver (0 = inferior edge, 1 = superior edge), mean over 1 cases'
set xlabel 'position along the liver'
set ylabel 'Dice per slice'
set yrange [0:1]
set xrange [0:1]
plot datafile using 1:2 with linespoints lw 2 lc rgb '#009E73' notitle
