set terminal pngcairo size 960,640 noenhanced font ',11'
set output 'docs/results/encryip/table1/curves_resnet18_fashion-mnist.png'
set title "resnet18 on fashion-mnist: test accuracy per epoch (mean over repeats)\nwidth 0.25, 6000 training images, 3 repeats; per-epoch accuracy on a random test subset (--eval-limit)"
set xlabel 'epoch'
set ylabel 'test accuracy (fraction of test images)'
set grid
set key outside below center horizontal
set xtics 1
set mxtics 1
set format x '%.0f'
set xrange [1:3]
plot '-' with linespoints title 'original', '-' with linespoints title 'EncryIP (paper group)', '-' with linespoints title 'EncryIP (ristretto255)'
1 0.692
2 0.822666667
3 0.866333333
e
1 0.506333333
2 0.816
3 0.860666667
e
1 0.620333333
2 0.842
3 0.857333333
e
