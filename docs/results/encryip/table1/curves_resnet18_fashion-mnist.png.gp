set terminal pngcairo size 800,560 noenhanced
set output '/work/main/docs/results/encryip/table1/curves_resnet18_fashion-mnist.png'
set title 'resnet18 on fashion-mnist: test accuracy per epoch (mean over repeats)'
set xlabel 'epoch'
set ylabel 'test accuracy'
set grid
set key outside right
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
