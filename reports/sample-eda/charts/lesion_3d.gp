# lesion_3d: written by LiTSKit. Re-plot with: cd charts && gnuplot lesion_3d.gp
datafile = 'lesion_3d.dat'
if (!exists('outfile')) outfile = '../figures/lesion_3d.png'
set terminal pngcairo size 1100,500 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set multiplot layout 1,2 title 'How 3D are the lesions? (n = 70 lesions)'
set xlabel 'largest in-plane diameter (mm)'
set ylabel 'slices spanned'
set key top left
plot datafile using 1:2 with points pt 7 ps 0.6 lc rgb '#D55E00' notitle
set ylabel 'z-extent (mm)'
plot datafile using 1:3 with points pt 7 ps 0.6 lc rgb '#0072B2' notitle, x with lines dt 2 lc rgb '#555555' title 'z-extent = in-plane diameter'
unset multiplot
