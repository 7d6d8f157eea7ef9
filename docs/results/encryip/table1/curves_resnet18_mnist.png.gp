set terminal pngcairo size 960,640 noenhanced font ',11'
set output 'docs/results/encryip/table1/curves_resnet18_mnist.png'
set title "resnet18 on mnist: test accuracy per epoch (mean over repeats)\nwidth 0.25, 6000 training images, 3 repeats; per-epoch accuracy on a random test subset (--eval-limit)"
set xlabel 'epoch'
set ylabel 'test accuracy (fraction of test images)'
set grid
set key outside below center horizontal
set xtics 1
set mxtics 1
set format x '%.0f'
set xrange [1:3]
plot '-' with linespoints title 'original', '-' with linespoints title 'EncryIP (paper group)', '-' with linespoints title 'EncryIP (ristretto255)'
1 0.776333333
2 0.862333333
3 0.983
e
1 0.454666667
2 0.972666667
3 0.98
e
1 0.681
2 0.961
3 0.985666667
e
