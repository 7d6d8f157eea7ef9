set terminal pngcairo size 960,640 noenhanced font ',11'
set output 'docs/results/encryip/table1/curves_googlenet_mnist.png'
set title "googlenet on mnist: test accuracy per epoch (mean over repeats)\nwidth 0.25, 2000 training images, 3 repeats; per-epoch accuracy on a random test subset (--eval-limit)"
set xlabel 'epoch'
set ylabel 'test accuracy (fraction of test images)'
set grid
set key outside below center horizontal
set xtics 1
set mxtics 1
set format x '%.0f'
set xrange [1:3]
plot '-' with linespoints title 'original', '-' with linespoints title 'EncryIP (paper group)', '-' with linespoints title 'EncryIP (ristretto255)'
1 0.117
2 0.298333333
3 0.938666667
e
1 0.309
2 0.635333333
3 0.952333333
e
1 0.488333333
2 0.910666667
3 0.972333333
e
