# case_dice: written by LiTSKit. Re-plot with: cd charts && gnuplot case_dice.gp
datafile = 'case_dice.dat'
if (!exists('outfile')) outfile = '../figures/case_dice.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Dice per case'
set xlabel 'liver Dice'
set ylabel 'lesion Dice'
set xrange [0:1]
set yrange [0:1]
plot datafile using 1:2 with points pt 7 ps 1.2 lc rgb '#2c7bb6' notitle, '' using 1:2:3 with labels offset 1,1 notitle
