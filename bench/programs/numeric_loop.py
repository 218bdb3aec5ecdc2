def main(n):
    total = 0
    for i in range(1, n + 1):
        if i % 3 == 0:
            total = total + i * 2
        else:
            total = total - 1
    return total
